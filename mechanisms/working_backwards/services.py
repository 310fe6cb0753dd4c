"""Public services of the working_backwards app (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Access, ReadingSessionRecord
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import check_text, clean_text
from mechanisms.org import services as org_services

from . import policy as _policy
from . import rules_narrative
from .contracts import (
    NARRATIVE_KIND,
    NarrativeChanges,
    NarrativeCheck,
    NarrativeId,
    NarrativeRecord,
    NarrativeView,
)
from .models import Narrative, NarrativeReader

# --- narratives (MECHANISMS.md §6: six-page narratives, read in silent reading sessions) -----------------------
#
# A narrative is a Narrative row (its team, author, confidentiality, named readers) and a document of the
# documents app (owner kind `narrative`, parts `NARRATIVE_PARTS`: the body and the appendix), created together.
# Who may read it is policy.py's narrative part; the page measure and the lint are rules_narrative.py (pure).

NARRATIVE_SUBJECT = "narrative"  # the audit subject type (history.py)
NARRATIVE_MAX_TITLE = 300
NARRATIVE_MAX_TEXT = 200_000
NARRATIVE_MAX_READERS = 100


def create_narrative(
    *,
    actor: Actor,
    title: str,
    team_id: int,
    body: str,
    appendix: str = "",
    confidential: bool = False,
    reader_ids: Sequence[int] = (),
) -> NarrativeRecord:
    """Write a narrative for a team: the actor is its author; its body and appendix become the first revision of
    its document (MECHANISMS.md §6). A body over six pages or full of bullets may be saved (the check shows the
    findings) but cannot be read in a session. A confidential narrative is read only by the author, the team's
    members and leader, its named readers and the readers of its sessions (policy.py). Raises PermissionDenied
    (not a person), RuleViolation naming `title`, `team_id`, `body`, `appendix`, `confidential` or `reader_ids`."""
    author = _require_person(actor, "write a narrative")
    clean_title = clean_text(title, "title", NARRATIVE_MAX_TITLE)
    team = _live_team(actor, team_id)
    clean_body = _clean_markdown(body, "body", required=True)
    clean_appendix = _clean_markdown(appendix, "appendix", required=False)
    if not isinstance(confidential, bool):
        raise RuleViolation("confidential is true or false", field="confidential")
    readers = _clean_named_readers(actor, reader_ids, author=author)
    with transaction.atomic():
        row = Narrative.objects.create(title=clean_title, author_id=author, team_id=team, confidential=confidential)
        NarrativeReader.objects.bulk_create([NarrativeReader(narrative=row, person_id=p) for p in readers])
        doc = documents_services.create_document(
            actor=actor,
            owner_kind=NARRATIVE_KIND,
            owner_id=row.id,
            title=clean_title,
            parts={"body": clean_body, "appendix": clean_appendix},
        )
        Narrative.objects.filter(pk=row.pk).update(document_id=doc.id)
        row.document_id = doc.id
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=clean_title,
            after={
                "title": clean_title,
                "team_id": team,
                "confidential": confidential,
                "reader_ids": readers,
                "document_id": doc.id,
            },
        )
    return _to_narrative(_narrative_qs().get(pk=row.pk))


def get_narrative(*, actor: Actor, narrative_id: int) -> NarrativeView:
    """A narrative with its current body and appendix, their check (pages, bullets) and what the viewer may do.
    NotFound when the actor may not read it (a confidential one they are not an insider of)."""
    row = _visible_narrative(actor, narrative_id)
    doc = documents_services.get_document(actor=actor, document_id=row.document_id)
    rev = documents_services.get_revision(actor=actor, document_id=row.document_id)
    body, appendix = rev.text("body"), rev.text("appendix")
    return NarrativeView(
        narrative=_to_narrative(row),
        revision=doc.revision,
        document_version=doc.version,
        body=body,
        appendix=appendix,
        check=rules_narrative.check_narrative(body, appendix),
        can_revise=doc.can(Access.REVISE),
        can_present=doc.can(Access.PRESENT),
    )


def list_narratives(
    *,
    actor: Actor,
    team_id: int | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[NarrativeRecord]:
    """The narratives the actor may read, newest first (paginated), optionally of one team or whose title holds
    `text`. Confidential ones appear only to their insiders."""
    qs = _policy.visible_narratives(actor, _narrative_qs())
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    words = (text or "").strip()[:200]
    if words:
        qs = qs.filter(title__icontains=words)
    return paginate(qs.order_by("-updated_at", "-id"), limit=limit, offset=offset, convert=_to_narrative)


def revise_narrative(
    *,
    actor: Actor,
    narrative_id: int,
    version: int,
    body: str | None = None,
    appendix: str | None = None,
    title: str | None = None,
    note: str = "",
) -> NarrativeView:
    """Keep a new revision of a narrative's body and/or appendix (and title), through documents.revise_document
    (every revision kept). `version` is the document's version you read (NarrativeView.document_version): a stale
    one is a Conflict. Only the author. Raises NotFound, PermissionDenied, RuleViolation naming `body`,
    `appendix`, `title` or `parts` (nothing changed), Conflict."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author revises it")
    parts: dict[str, str] = {}
    if body is not None:
        parts["body"] = _clean_markdown(body, "body", required=True)
    if appendix is not None:
        parts["appendix"] = _clean_markdown(appendix, "appendix", required=False)
    clean_title = clean_text(title, "title", NARRATIVE_MAX_TITLE) if title is not None else None
    with transaction.atomic():
        doc = documents_services.revise_document(
            actor=actor, document_id=row.document_id, parts=parts, version=version, note=note, title=clean_title
        )
        changes: dict[str, Any] = {"title": doc.title}
        update_versioned(row, expected_version=row.version, changes=changes)
        audit_services.record_change(
            actor=actor,
            verb="revise",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=doc.title,
            before={"revision": doc.revision - 1},
            after={"revision": doc.revision, "parts": sorted(parts), "title": doc.title},
        )
    return get_narrative(actor=actor, narrative_id=row.id)


def update_narrative(*, actor: Actor, narrative_id: int, version: int, changes: NarrativeChanges) -> NarrativeRecord:
    """Change whether a narrative is confidential and who its named readers are (the author only; `version` is the
    narrative's). Raises NotFound, PermissionDenied, RuleViolation naming `confidential` or `reader_ids`,
    Conflict."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author changes who reads it")
    wanted = given(changes)
    before = {"confidential": row.confidential, "reader_ids": sorted(r.person_id for r in row.readers.all())}
    values: dict[str, Any] = {}
    if "confidential" in wanted:
        if not isinstance(wanted["confidential"], bool):
            raise RuleViolation("confidential is true or false", field="confidential")
        values["confidential"] = wanted["confidential"]
    readers = None
    if "reader_ids" in wanted:
        readers = _clean_named_readers(actor, wanted["reader_ids"], author=row.author_id)
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=values)
        if readers is not None:
            NarrativeReader.objects.filter(narrative=row).exclude(person_id__in=readers).delete()
            known = set(NarrativeReader.objects.filter(narrative=row).values_list("person_id", flat=True))
            NarrativeReader.objects.bulk_create(
                [NarrativeReader(narrative=row, person_id=p) for p in readers if p not in known]
            )
        fresh = _narrative_qs().get(pk=row.pk)
        after = {"confidential": fresh.confidential, "reader_ids": sorted(r.person_id for r in fresh.readers.all())}
        audit_services.record_change(
            actor=actor,
            verb="update",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=fresh.title,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return _to_narrative(fresh)


def start_narrative_session(
    *, actor: Actor, narrative_id: int, reader_ids: Sequence[int], minutes: int = 20
) -> ReadingSessionRecord:
    """Start a silent reading of the narrative's current revision (documents.start_session: the author presents,
    the readers read; MECHANISMS.md §6). A narrative over six pages is refused naming the rule. Inviting someone to
    read a confidential narrative names them as its reader, in the same write. Raises NotFound, PermissionDenied,
    RuleViolation naming `document_id` (over six pages, a session open), `reader_ids` or `minutes`."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author starts a reading session on it")
    with transaction.atomic():
        if row.confidential and isinstance(reader_ids, Sequence) and not isinstance(reader_ids, str):
            known = set(NarrativeReader.objects.filter(narrative=row).values_list("person_id", flat=True))
            invited = _clean_named_readers(actor, reader_ids, author=row.author_id, allow_author=True)
            NarrativeReader.objects.bulk_create(
                [NarrativeReader(narrative=row, person_id=p) for p in invited if p not in known and p != row.author_id]
            )
        return documents_services.start_session(
            actor=actor, document_id=row.document_id, reader_ids=reader_ids, minutes=minutes
        )


def list_narrative_sessions(
    *, actor: Actor, narrative_id: int, limit: int | None = None, offset: int | None = None
) -> Page[ReadingSessionRecord]:
    """The reading sessions of a narrative, newest first. NotFound when the actor may not read it."""
    row = _visible_narrative(actor, narrative_id)
    return documents_services.list_sessions(actor=actor, document_id=row.document_id, limit=limit, offset=offset)


def check_narrative(*, body: str, appendix: str = "") -> NarrativeCheck:
    """The page measure and the bullet-ratio lint of a text (rules_narrative; the same as `mech narratives
    check`), for the editor's preview: no record is read or written."""
    return rules_narrative.check_narrative(
        _clean_markdown(body, "body", required=False), _clean_markdown(appendix, "appendix", required=False)
    )


def narrative_url(narrative_id: int | str) -> str:
    return f"/narratives/{int(narrative_id)}"


def narrative_access(actor: Actor, owner_ids: frozenset[str]) -> Mapping[str, frozenset[Access]]:
    """The documents owner's access rule of narratives (registered in apps.py): per narrative id the actor may
    read, what they may do with its document (policy.py)."""
    numeric = [int(i) for i in owner_ids if i.isdigit()]
    rows = _policy.visible_narratives(actor, Narrative.objects.filter(pk__in=numeric))
    return _policy.narrative_access(actor, rows)


def narrative_session_refused(owner_id: str) -> str:
    """Why a reading session may not start on this narrative ("" when it may): over six pages (rules_narrative)."""
    row = Narrative.objects.filter(pk=int(owner_id)).first() if owner_id.isdigit() else None
    if row is None or row.document_id is None:
        return ""
    parts = documents_services.current_parts(document_id=row.document_id)
    return rules_narrative.session_refusal(
        rules_narrative.check_narrative(parts.get("body", ""), parts.get("appendix", ""))
    )


def visible_narrative_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these narratives' histories the actor may read (the audit registry's resolver)."""
    return _policy.visible_narrative_ids(actor, Narrative.objects.all(), ids)


def _narrative_qs():
    return Narrative.objects.prefetch_related("readers")


def _visible_narrative(actor: Actor, narrative_id: Any) -> Narrative:
    try:
        wanted = int(narrative_id)
    except (TypeError, ValueError):
        wanted = 0
    row = None
    if 0 < wanted < 2**63:
        row = _policy.visible_narratives(actor, _narrative_qs().filter(pk=wanted)).first()
    if row is None:
        raise NotFound(f"narrative {narrative_id} not found")
    return row


def _require_person(actor: Actor, what: str) -> int:
    if not actor.is_authenticated or actor.person_id is None:
        raise PermissionDenied(f"only a person may {what}")
    return actor.person_id


def _live_team(actor: Actor, team_id: Any) -> int:
    if isinstance(team_id, bool) or not isinstance(team_id, int) or not 0 < team_id < 2**63:
        raise RuleViolation("name the owning team by its id", field="team_id")
    try:
        team = org_services.get_team(actor=actor, team_id=team_id)
    except NotFound:
        raise RuleViolation(f"team {team_id} does not exist", field="team_id") from None
    if team.dissolved_on is not None:
        raise RuleViolation(f"team {team.slug} is dissolved", field="team_id")
    return team.id


def _clean_markdown(value: Any, field: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RuleViolation(f"the {field} is Markdown text", field=field)
    text = value.replace("\r\n", "\n")
    try:
        check_text(text)
    except ValueError as exc:
        raise RuleViolation(f"the {field} {exc}", field=field) from None
    if len(text) > NARRATIVE_MAX_TEXT:
        raise RuleViolation(f"the {field} is limited to {NARRATIVE_MAX_TEXT:,} characters", field=field)
    if required and not text.strip():
        raise RuleViolation(f"a narrative needs a {field}", field=field)
    return text


def _clean_named_readers(actor: Actor, reader_ids: Any, *, author: int | None, allow_author: bool = False) -> list[int]:
    if isinstance(reader_ids, str | bytes) or not isinstance(reader_ids, Sequence | set | frozenset):
        raise RuleViolation("name the readers by their person ids", field="reader_ids")
    wanted: list[int] = []
    for value in reader_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise RuleViolation(f"{value!r} is not a person id", field="reader_ids")
        if value == author and not allow_author:
            continue  # the author reads their own narrative anyway
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > NARRATIVE_MAX_READERS:
        raise RuleViolation(f"a narrative names at most {NARRATIVE_MAX_READERS} readers", field="reader_ids")
    people = org_services.get_people(actor=actor, ids=wanted)
    missing = [str(i) for i in wanted if i not in people]
    if missing:
        raise RuleViolation(f"no person has the id {', '.join(missing)}", field="reader_ids")
    return wanted


def _to_narrative(row: Narrative) -> NarrativeRecord:
    return NarrativeRecord(
        id=NarrativeId(row.id),
        title=row.title,
        author_id=row.author_id,
        team_id=row.team_id,
        confidential=row.confidential,
        reader_ids=tuple(sorted(r.person_id for r in row.readers.all())),
        document_id=row.document_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
