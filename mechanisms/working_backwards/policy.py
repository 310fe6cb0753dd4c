"""Private: the one place that decides who may see and do what in working backwards (MECHANISMS.md §6;
docs/access.md; docs/working-backwards.md "Who sees a PR/FAQ").

PR/FAQs are as confidential as interview feedback: **only the current circle and the inner ones can read one**.
The readers of a PR/FAQ are
- its author (circle 1);
- the people named in circles 2..n, where n is the circle it is in (or reached, once shelved or approved): the
  reviewers and the readers of each circle;
- the bar raiser assigned to review a high-impact PR/FAQ (bar_raisers), who must read what they review.
Everyone else is an outsider and gets NotFound through every door: a person named in a circle not yet reached,
the author's manager or team mates not named, leadership not named, admins (outsiders here, as for sealed
interview feedback), the product itself (`Actor.system`), anonymous callers. Lists, search, history, notices and
the bar-raiser review leave it out for them.

What readers may do (`access`, for the documents owner registration; `can`/`require` for the PR/FAQ's own moves):
- READ: every reader;
- COMMENT: every reader, while it is in review (a draft is the author's alone; a shelved or approved one is
  frozen);
- REVISE, ATTACH, PRESENT: the author, while draft or in review;
- NAME_MEMBERS (set a circle's reviewers and readers): the author, while draft or in review.
Transitions are judged by the machine (machines.py) from the actor's parties, computed here: `author`, and
`reviewer` (a named reviewer of the circle it is in now).

Narratives (`visible_narratives`, `narrative_access`; `visible_to` answers for a queryset of either model):
- read (and comment on): every signed-in person, unless the narrative is confidential: then only its author, the
  members and the leader of its owning team, the readers named on it, and the readers of its reading sessions.
  Being an admin opens nothing confidential; anyone else gets NotFound, and lists, search, history and the
  document doors leave it out;
- revise, attach, present (start and close reading sessions): the author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import SubjectKind
from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Access
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied
from mechanisms.kernel.pagination import MAX_LIMIT
from mechanisms.org import services as org_services

from .contracts import NARRATIVE_KIND, PrFaqAction, PrFaqState
from .models import CircleMember, Narrative, PrFaq

# --- PR/FAQs (prfaq) -------------------------------------------------------------------------------------------

AUTHOR = "author"
REVIEWER = "reviewer"
WRITABLE = frozenset({PrFaqState.DRAFT.value, PrFaqState.IN_REVIEW.value})

RULES = {
    PrFaqAction.REVISE: "only the author may revise a PR/FAQ, while it is a draft or in review",
    PrFaqAction.NAME_MEMBERS: "only the author may name a PR/FAQ's circles, while it is a draft or in review",
    PrFaqAction.COMMENT: "readers comment on a PR/FAQ while it is in review",
}


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """The PR/FAQs of `qs` the actor may read: they wrote it, they are named in a circle it has reached, or they
    are its bar raiser. Nobody else, admins and the product itself included. (A queryset of narratives is
    answered by `visible_narratives`.)"""
    if qs.model is Narrative:
        return visible_narratives(actor, qs)
    if not actor.is_authenticated or actor.person_id is None:
        return qs.none()
    person = actor.person_id
    named = CircleMember.objects.filter(prfaq_id=OuterRef("pk"), person_id=person, circle__lte=OuterRef("circle"))
    return qs.filter(Q(author_id=person) | Exists(named) | Q(pk__in=sorted(bar_raised(actor))))


def visible_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these PR/FAQs' histories the actor may read: exactly the PR/FAQs they may read (docs/audit.md)."""
    numeric = sorted(int(i) for i in ids if str(i).isdigit() and 0 < int(i) < 2**63)
    if not numeric:
        return frozenset()
    return frozenset(
        str(i) for i in visible_to(actor, PrFaq.objects.filter(pk__in=numeric)).values_list("pk", flat=True)
    )


def bar_raised(actor: Actor) -> frozenset[int]:
    """The PR/FAQs the actor was assigned to review as a bar raiser (their own assignments, open or released)."""
    if actor.person_id is None:
        return frozenset()
    # Most readers are no bar raiser: one query to know, instead of reading their (empty) assignments.
    if actor.person_id not in bar_raisers_services.pool_ids(actor=actor, active_only=False):
        return frozenset()
    page = bar_raisers_services.list_assignments(
        actor=actor, person_id=actor.person_id, open_only=False, limit=MAX_LIMIT
    )
    return frozenset(a.subject_id for a in page.items if a.subject_kind is SubjectKind.PRFAQ)


def parties(actor: Actor, row: PrFaq, members: Iterable[CircleMember]) -> frozenset[str]:
    """Which sides of a PR/FAQ the actor is on: its author, and/or a reviewer of the circle it is in now."""
    if actor.person_id is None:
        return frozenset()
    found = set()
    if row.author_id == actor.person_id:
        found.add(AUTHOR)
    if any(m.person_id == actor.person_id and m.reviewer and m.circle == row.circle for m in members):
        found.add(REVIEWER)
    return frozenset(found)


def access(actor: Actor, rows: Iterable[PrFaq]) -> dict[int, frozenset[Access]]:
    """What the actor may do with each readable PR/FAQ's document (the documents owner's `access`): READ for its
    readers, COMMENT while in review, REVISE/ATTACH/PRESENT for its author while draft or in review."""
    rows = list(rows)
    readable = set(visible_to(actor, PrFaq.objects.filter(pk__in=[r.pk for r in rows])).values_list("pk", flat=True))
    out: dict[int, frozenset[Access]] = {}
    for row in rows:
        if row.pk not in readable:
            continue
        granted = {Access.READ}
        if row.state == PrFaqState.IN_REVIEW.value:
            granted.add(Access.COMMENT)
        if row.author_id == actor.person_id and row.state in WRITABLE:
            granted |= {Access.REVISE, Access.ATTACH, Access.PRESENT}
        out[row.pk] = frozenset(granted)
    return out


def can(actor: Actor, action: PrFaqAction | str, row: PrFaq) -> bool:
    """May the actor take this action on a PR/FAQ they can read? (Visibility is checked first by the caller.)"""
    action = PrFaqAction(action)
    if action is PrFaqAction.READ:
        return True
    if action is PrFaqAction.COMMENT:
        return row.state == PrFaqState.IN_REVIEW.value
    if action in (PrFaqAction.REVISE, PrFaqAction.NAME_MEMBERS):
        return row.author_id == actor.person_id and row.state in WRITABLE
    return False


def require(actor: Actor, action: PrFaqAction | str, row: PrFaq) -> None:
    """PermissionDenied naming the rule when the actor may not take the action."""
    if not can(actor, action, row):
        raise PermissionDenied(RULES.get(PrFaqAction(action), f"you may not {action} this PR/FAQ"), field="actor")


def require_visible(actor: Actor, prfaq_id: Any, qs: QuerySet | None = None) -> PrFaq:
    """The PR/FAQ row, or NotFound (naming nothing about it) when it does not exist or the actor may not read it."""
    try:
        pk = int(prfaq_id)
    except (TypeError, ValueError):
        pk = 0
    row = None
    if 0 < pk < 2**63:
        row = visible_to(actor, qs if qs is not None else PrFaq.objects.all()).filter(pk=pk).first()
    if row is None:
        raise NotFound(f"PR/FAQ {prfaq_id} does not exist", field="prfaq_id")
    return row


def actions_of(actor: Actor, row: PrFaq) -> tuple[str, ...]:
    """The non-transition actions the actor may take now (PrFaqAction values), for pages and the API."""
    return tuple(a.value for a in PrFaqAction if can(actor, a, row))


def members_by_prfaq(rows: Iterable[PrFaq]) -> Mapping[int, list[CircleMember]]:
    """The circle members of several PR/FAQs, in one query."""
    out: dict[int, list[CircleMember]] = {}
    ids = [r.pk for r in rows]
    for m in CircleMember.objects.filter(prfaq_id__in=ids).order_by("circle", "id"):
        out.setdefault(m.prfaq_id, []).append(m)
    return out


# --- narratives -----------------------------------------------------------------------------------------------

NARRATIVE_READER_ACCESS = frozenset({Access.READ, Access.COMMENT})
NARRATIVE_AUTHOR_ACCESS = frozenset(Access)


def visible_narratives(actor: Actor, qs: QuerySet) -> QuerySet:
    """The narratives of `qs` the actor may read (module docstring): open ones for every signed-in person,
    confidential ones for their insiders only (an account without a person, like an admin's, is nobody's insider).
    Nothing for anonymous callers."""
    if not actor.is_authenticated:
        return qs.none()
    person = actor.person_id
    if person is None:
        return qs.filter(confidential=False)
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
