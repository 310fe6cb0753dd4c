"""Private: the one place that decides who may see and do what in working_backwards (MECHANISMS.md §6;
docs/access.md, docs/working-backwards.md).

Narratives:
- read (and comment on): every signed-in person, unless the narrative is confidential: then only its author, the
  members and the leader of its owning team, the readers named on it, and the readers of its reading sessions.
  Being an admin opens nothing confidential (as for sealed interview feedback); anyone else gets NotFound, and
  lists, search, history and the document doors leave it out (`visible_narratives`, `narrative_access`);
- revise, attach, present (start and close reading sessions): the author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Q, QuerySet

from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Access
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

from .contracts import NARRATIVE_KIND

# --- narratives -----------------------------------------------------------------------------------------------

NARRATIVE_READER_ACCESS = frozenset({Access.READ, Access.COMMENT})
NARRATIVE_AUTHOR_ACCESS = frozenset(Access)


def visible_narratives(actor: Actor, qs: QuerySet) -> QuerySet:
    """The narratives of `qs` the actor may read (module docstring): open ones for every signed-in person,
    confidential ones for their insiders only. Nothing for anonymous callers or the product itself."""
    if not actor.is_authenticated or actor.person_id is None:
        return qs.none()
    person = actor.person_id
    relations = org_services.relations_of(actor=actor)
    teams = relations.member_of | relations.leads
    in_sessions = documents_services.owners_read_in_sessions(owner_kind=NARRATIVE_KIND, person_id=person)
    session_ids = [int(i) for i in in_sessions if i.isdigit()]
    return qs.filter(
        Q(confidential=False)
        | Q(author_id=person)
        | Q(team_id__in=teams)
        | Q(readers__person_id=person)
        | Q(pk__in=session_ids)
    ).distinct()


def narrative_access(actor: Actor, narratives: Iterable) -> Mapping[str, frozenset[Access]]:
    """What the actor may do with each of these (visible) narrative rows' documents, by narrative id."""
    out: dict[str, frozenset[Access]] = {}
    for row in narratives:
        out[str(row.id)] = NARRATIVE_AUTHOR_ACCESS if row.author_id == actor.person_id else NARRATIVE_READER_ACCESS
    return out


def can_revise_narrative(actor: Actor, row) -> bool:
    return actor.person_id is not None and row.author_id == actor.person_id


def visible_narrative_ids(actor: Actor, qs: QuerySet, ids: frozenset[str]) -> frozenset[str]:
    """Which of these narrative ids the actor may read (the audit history's resolver)."""
    numeric = [int(i) for i in ids if i.isdigit()]
    return frozenset(str(i) for i in visible_narratives(actor, qs.filter(pk__in=numeric)).values_list("pk", flat=True))
