"""Public services of the hiring app (MECHANISMS.md §5): leadership principles, job openings, candidates and their
résumés, erasure, the mechanism-health figures; then (below the `# --- loops` banner) loops, interviews, sealed
feedback, the debrief and the decision.

Who sees and does what is decided only in `policy.py` (docs/hiring.md "Who sees what"): openings are an internal
job posting for every signed-in person; candidates are for their insiders (interviewers, the bar raiser, the
hiring manager, the opening's recruiters) and a NotFound for everyone else, admins included. Every write is one
transaction with its audit record; a candidate's history is erasable (sealed under the candidate's key).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import Recommendation, Subject, SubjectKind
from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Access, Part, RevisionRecord
from mechanisms.kernel import clock, files, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import conflict, update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

from . import policy as _policy
from . import rules
from .contracts import (
    CandidateChanges,
    CandidateRecord,
    CandidateState,
    DebriefRecord,
    DebriefVoteRecord,
    Decision,
    EvidenceInput,
    EvidenceRecord,
    FeedbackRecord,
    FeedbackStatus,
    FeedbackStatusLine,
    HealthReport,
    InterviewChanges,
    InterviewRecord,
    LoopEventRecord,
    LoopParty,
    LoopRecord,
    LoopState,
    LoopView,
    MyInterview,
    OpeningChanges,
    OpeningRecord,
    OpeningState,
    PrincipleRecord,
    Problem,
    ResumeFile,
    Source,
    Vote,
    WrittenVote,
)
from .history import CANDIDATE as CANDIDATE_TYPE
from .history import OPENING as OPENING_TYPE
from .history import PRINCIPLE as PRINCIPLE_TYPE
from .machines import FILL, JOB_DESCRIPTION_MIN, LOOP, OPENING, LoopMachineFacts, OpeningFacts
from .models import Candidate as CandidateRow
from .models import DebriefVote as DebriefVoteRow
from .models import Evidence as EvidenceRow
from .models import Feedback as FeedbackRow
from .models import Interview as InterviewRow
from .models import Loop as LoopRow
from .models import LoopEvent as LoopEventRow
from .models import Opening as OpeningRow
from .models import Principle as PrincipleRow

OPENING_MACHINE = OPENING
PRODUCT = Actor.system("hiring")  # the product's own reads of org (names, team members) to compute with
TITLE_MAX, LEVEL_MAX, JD_MAX, NAME_MAX = 200, 32, 20_000, 200
MAX_PRINCIPLES = 16
RESUME_KEY_PREFIX = "resumes/"
RESUME_TYPES = frozenset({files.PDF, files.DOCX, files.TEXT, files.MARKDOWN})
ERASED_NAME = "Erased candidate #{id}"
OPEN_CANDIDATE_STATES = frozenset({CandidateState.APPLIED.value, CandidateState.IN_LOOP.value})

# An opening's job description is a document (DESIGN.md §2: documents keeps every revision, its diffs and comments):
# the document of owner kind JD_KIND whose owner id is the opening's id, with the one part JD_PART.
JD_KIND = "hiring_opening"
JD_PART = "description"
JD_PARTS = (
    Part(JD_PART, "Job description", help=f"Markdown. At least {JOB_DESCRIPTION_MIN} characters before it opens."),
)


# ------------------------------------------------------------------------------------------------ principles


def list_principles(*, actor: Actor, active_only: bool = True) -> list[PrincipleRecord]:
    """The leadership principles an opening may assess, in their order (MECHANISMS.md §5; Amazon's sixteen by
    default). Every signed-in person reads them."""
    _policy.require_signed_in(actor)
    qs = PrincipleRow.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return [_to_principle(r) for r in qs]


def add_principle(
    *, actor: Actor, slug: str, name: str, description: str = "", position: int | None = None
) -> PrincipleRecord:
    """Add a leadership principle to the list openings choose from (admins and company-wide recruiters).
    Raises PermissionDenied, RuleViolation (a bad or duplicate slug names `slug`)."""
    _policy.require(actor, "manage_principles", what="change the leadership principles")
    slug = _slug(slug)
    name = _text(name, "name", 120)
    description = _text(description, "description", 1000, required=False)
    if position is not None and not (0 <= position <= 10_000):
        raise RuleViolation("position must be between 0 and 10000", field="position")
    if PrincipleRow.objects.filter(slug=slug).exists():
        raise Conflict(f"a principle {slug!r} exists already", field="slug")
    if position is None:
        position = (PrincipleRow.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = PrincipleRow.objects.create(slug=slug, name=name, description=description, position=position)
        except IntegrityError:
            raise Conflict(f"a principle {slug!r} exists already", field="slug") from None
        record = _to_principle(row)
        _audit(actor, "create", PRINCIPLE_TYPE, row.id, name, before=None, after=_principle_view(record))
    return record


def update_principle(
    *,
    actor: Actor,
    principle_id: int,
    version: int,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
    active: bool | None = None,
) -> PrincipleRecord:
    """Rename, reword, reorder or (de)activate a principle (admins and company-wide recruiters). A deactivated
    principle stays on the openings that chose it but cannot be chosen again. Raises PermissionDenied, NotFound,
    RuleViolation, Conflict (stale version)."""
    _policy.require(actor, "manage_principles", what="change the leadership principles")
    row = PrincipleRow.objects.filter(pk=principle_id).first()
    if row is None:
        raise NotFound(f"principle {principle_id} does not exist", field="principle_id")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "name", 120)
    if description is not None:
        changes["description"] = _text(description, "description", 1000, required=False)
    if position is not None:
        if not (0 <= position <= 10_000):
            raise RuleViolation("position must be between 0 and 10000", field="position")
        changes["position"] = position
    if active is not None:
        changes["active"] = bool(active)
    before = _principle_view(_to_principle(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=changes, noun="principle", refresh=False)
        record = _to_principle(row)
        _audit(actor, "update", PRINCIPLE_TYPE, row.id, row.name, before=before, after=_principle_view(record))
    return record


def _slug(value: Any) -> str:
    slug = _text(value, "slug", 64)
    if not all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in slug) or slug.startswith("-"):
        raise RuleViolation("slug must be lowercase letters, digits and dashes", field="slug")
    return slug


# ------------------------------------------------------------------------------------------------ openings


def create_opening(
    *,
    actor: Actor,
    title: str,
    team_id: int,
    hiring_manager_id: int,
    recruiter_id: int | None = None,
    level: str,
    manager_role: bool = False,
    reports_ids: Sequence[int] = (),
    job_description: str = "",
    principles: Sequence[str] = (),
) -> OpeningRecord:
    """Create a job opening, as a draft (MECHANISMS.md §5). No loop starts before it is opened, which needs a
    written job description and at least one principle.

    Rules: admins, the team's leader or a manager above them, or a recruiter of the team's unit create openings;
    the hiring manager leads the team or is above its leader in the management chain (`hiring_manager_id`); the
    recruiter holds the recruiter role for the team's unit or company-wide (`recruiter_id`); principles are active
    slugs (`principles`). Raises PermissionDenied, NotFound, RuleViolation naming the field."""
    _policy.require_signed_in(actor)
    team = _live_team(team_id)
    _policy.require(actor, "create_opening", team.id, what="open a position on this team", field="team_id")
    values = {
        "title": _text(title, "title", TITLE_MAX),
        "team_id": team.id,
        "level": _text(level, "level", LEVEL_MAX),
        "manager_role": _bool(manager_role, "manager_role"),
        "job_description": _text(job_description, "job_description", JD_MAX, required=False),
        "principles": _principles(principles),
        "hiring_manager_id": _hiring_manager(hiring_manager_id, team),
        "recruiter_id": _recruiter(recruiter_id, team),
        "reports_ids": _reports(reports_ids),
        "state": OpeningState.DRAFT.value,
    }
    job_description = values.pop("job_description")
    with transaction.atomic():
        row = OpeningRow.objects.create(**values)
        # The job description is the opening's document, born with it (revision 1, even when still empty).
        documents_services.create_document(
            actor=actor, owner_kind=JD_KIND, owner_id=row.id, title=row.title, parts={JD_PART: job_description}
        )
        record = _to_opening(row)
        _audit(actor, "create", OPENING_TYPE, row.id, row.title, before=None, after=_opening_view(record))
    return record


def update_opening(
    *, actor: Actor, opening_id: int, changes: OpeningChanges, version: int, job_description_note: str = ""
) -> OpeningRecord:
    """Change an opening's title, hiring manager, recruiter, level, manager role, would-be reports, job
    description or principles (admins, its hiring manager and its recruiters). The same rules as
    `create_opening` hold for each changed field; a closed or filled opening no longer changes. A changed job
    description is a new revision of the opening's document (every revision kept, with its diff: the document's
    history, not the opening's), guarded by the opening's `version` like every other field; the same text keeps
    the current revision. `job_description_note` says why it changed (the revision's note). Raises
    PermissionDenied, NotFound, RuleViolation, Conflict (stale version)."""
    row = _opening_row(actor, opening_id)
    _policy.require(actor, "edit_opening", row, what="change this opening")
    if row.state in (OpeningState.CLOSED.value, OpeningState.FILLED.value):
        raise RuleViolation(f"a {row.state} opening no longer changes", field="state")
    wanted = given(changes)
    team = _live_team(row.team_id) if {"hiring_manager_id", "recruiter_id"} & set(wanted) else None
    cleaners = {
        "title": lambda v: _text(v, "title", TITLE_MAX),
        "level": lambda v: _text(v, "level", LEVEL_MAX),
        "manager_role": lambda v: _bool(v, "manager_role"),
        "job_description": lambda v: _text(v, "job_description", JD_MAX, required=False),
        "principles": lambda v: _principles(v, keep=row.principles),
        "hiring_manager_id": lambda v: _hiring_manager(v, team),
        "recruiter_id": lambda v: _recruiter(v, team),
        "reports_ids": _reports,
    }
    values = {name: cleaners[name](value) for name, value in wanted.items()}
    if row.state != OpeningState.DRAFT.value:
        # An open opening keeps what let it open: a written job description and a principle to assess.
        if "job_description" in values and len(values["job_description"]) < JOB_DESCRIPTION_MIN:
            raise RuleViolation(
                f"an opening that is {row.state} keeps a job description of at least {JOB_DESCRIPTION_MIN} characters",
                field="job_description",
            )
        if "principles" in values and not values["principles"]:
            raise RuleViolation("an opening that is not a draft keeps at least one principle", field="principles")
    job_description = values.pop("job_description", None)
    current = _jd_of(row)
    revise = job_description is not None and job_description != (current.text(JD_PART) if current else "")
    before = _opening_view(_to_opening(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=values, noun="opening", refresh=False)
        if revise:
            _revise_job_description(actor, row, job_description, note=job_description_note)
        record = _to_opening(row)
        if values or not revise:  # a change of the job description alone is the document's history only
            _audit(actor, "update", OPENING_TYPE, row.id, row.title, before=before, after=_opening_view(record))
    return record


def _revise_job_description(actor: Actor, row: OpeningRow, text: str, *, note: str) -> None:
    """Keep `text` as the next revision of the opening's job description, in the caller's transaction (the
    opening's version was checked there). An opening from before documents existed gets its document now."""
    doc = documents_services.find_document(actor=actor, owner_kind=JD_KIND, owner_id=row.id)
    try:
        if doc is None:
            documents_services.create_document(
                actor=actor, owner_kind=JD_KIND, owner_id=row.id, title=row.title, parts={JD_PART: text}, note=note
            )
        else:
            documents_services.revise_document(
                actor=actor, document_id=doc.id, parts={JD_PART: text}, version=doc.version, note=note, title=row.title
            )
    except RuleViolation as refused:  # name the opening's fields, not the document's
        field = {"note": "job_description_note"}.get(refused.field or "", "job_description")
        raise RuleViolation(refused.message, field=field) from None
    row.__dict__.pop("_jd_revision", None)  # read the new revision next time


def get_opening(*, actor: Actor, opening_id: int) -> OpeningRecord:
    """One opening (every signed-in person: an internal job posting). Raises NotFound."""
    return _to_opening(_opening_row(actor, opening_id))


def list_openings(
    *,
    actor: Actor,
    state: str | None = None,
    team_id: int | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[OpeningRecord]:
    """Openings, newest first, by state, team and words of the title or level (every signed-in person).
    Paginated. Raises RuleViolation for an unknown state."""
    _policy.require_signed_in(actor)
    qs = _policy.visible_to(actor, OpeningRow.objects.all())
    if state:
        if state not in {s.value for s in OpeningState}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in OpeningState)}", field="state")
        qs = qs.filter(state=state)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if text:
        words = _text(text, "text", 200, required=False)
        for word in words.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(level__icontains=word))
    rows = paginate(qs, limit=limit, offset=offset, convert=lambda r: r)
    return _openings_page(rows)


def can_edit_opening(*, actor: Actor, opening_id: int) -> bool:
    """Whether the actor may change the opening (for the page's buttons; the services decide again)."""
    return _policy.can(actor, "edit_opening", _opening_row(actor, opening_id))


def can_create_opening(*, actor: Actor, team_id: int | None = None) -> bool:
    """Whether the actor may create an opening (on `team_id`, or on some team when None): for the page's links."""
    if not actor.is_authenticated:
        return False
    if team_id is not None:
        return _policy.can(actor, "create_opening", team_id)
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    rel = _policy.relations(actor)
    return bool(rel.leads or rel.manages_below or any(r is Role.RECRUITER for r, _ in rel.roles))


def can_add_candidate(*, actor: Actor, opening_id: int) -> bool:
    """Whether the actor may add candidates to the opening (its recruiters and hiring manager)."""
    return _policy.can(actor, "add_candidate", _opening_row(actor, opening_id))


def opening_actions(*, actor: Actor, opening_id: int) -> tuple[str, ...]:
    """The opening's transitions the actor may take now, in declaration order (what its page offers)."""
    row = _opening_row(actor, opening_id)
    return machines.available(OPENING, _opening_facts(row), _opening_parties(actor, row))


def apply_opening_transition(
    *, actor: Actor, opening_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> OpeningRecord:
    """Take one transition of the declared opening machine (hiring/machines.py: open, hold, reopen, close), in the
    order of kernel/machine_apply.py: the version read (409), the state and the guard (400: opening needs a
    written job description of JOB_DESCRIPTION_MIN characters, `job_description`, and a principle,
    `principles`), the party (403: admins, the hiring manager, the opening's recruiters), the input (400)."""
    _policy.require_signed_in(actor)
    row = _opening_row(actor, opening_id)
    return machine_apply.apply(_OPENING_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def open_opening(*, actor: Actor, opening_id: int, version: int) -> OpeningRecord:
    """Open a draft for loops (MECHANISMS.md §5: a written job description first). See apply_opening_transition."""
    return apply_opening_transition(actor=actor, opening_id=opening_id, version=version, transition="open", values={})


def hold_opening(*, actor: Actor, opening_id: int, version: int, reason: str = "") -> OpeningRecord:
    """Put an open opening on hold. See apply_opening_transition."""
    return apply_opening_transition(
        actor=actor, opening_id=opening_id, version=version, transition="hold", values={"reason": reason}
    )


def reopen_opening(*, actor: Actor, opening_id: int, version: int) -> OpeningRecord:
    """Reopen an opening on hold. See apply_opening_transition."""
    return apply_opening_transition(actor=actor, opening_id=opening_id, version=version, transition="reopen", values={})


def close_opening(*, actor: Actor, opening_id: int, version: int, reason: str) -> OpeningRecord:
    """Close an opening that is not filled (a reason is required). See apply_opening_transition."""
    return apply_opening_transition(
        actor=actor, opening_id=opening_id, version=version, transition="close", values={"reason": reason}
    )


def would_be_reports(opening: Any) -> frozenset[int]:
    """Who would report to the hire of a manager opening (MECHANISMS.md §5: they may not interview the
    candidate): the opening team's members other than the hiring manager, and the opening's named reports. Empty
    for an individual-contributor opening. `opening` is an OpeningRecord or the app's own row."""
    if not opening.manager_role:
        return frozenset()
    members = {p.id for p in org_services.team_members(actor=PRODUCT, team_id=opening.team_id)}
    return frozenset((members - {opening.hiring_manager_id}) | {int(i) for i in opening.reports_ids})


# --- the job description's document: what documents asks hiring (registered in apps.py ready())


def job_description_access(actor: Actor, owner_ids: frozenset[str]) -> dict[str, frozenset[Access]]:
    """What `actor` may do with these openings' job descriptions (documents asks the owning app, DESIGN.md §3):
    whoever may read the opening reads and comments on it; whoever may change the opening (admins, its hiring
    manager, its recruiters) revises it and attaches files (hiring/policy.py `document_access`). An opening the
    actor may not read is left out, so its document is a NotFound through every door."""
    wanted = sorted({int(i) for i in owner_ids if str(i).isdigit() and 0 < int(i) <= machines.MAX_ID})
    if not wanted or not actor.is_authenticated:
        return {}
    rows = _policy.visible_to(actor, OpeningRow.objects.filter(pk__in=wanted))
    return {str(row.id): _policy.document_access(actor, row) for row in rows}


def job_description_frozen(owner_id: str) -> str:
    """Why the opening's job description may not be revised now ("" when it may): a closed or filled opening no
    longer changes (MECHANISMS.md §5), its job description included."""
    pk = int(owner_id) if str(owner_id).isdigit() and 0 < int(owner_id) <= machines.MAX_ID else None
    state = OpeningRow.objects.filter(pk=pk).values_list("state", flat=True).first() if pk else None
    if state in (OpeningState.CLOSED.value, OpeningState.FILLED.value):
        return f"the opening is {state}: its job description no longer changes"
    return ""


def job_description_check(owner_id: str, parts: Mapping[str, str]) -> None:
    """An opening that is no longer a draft keeps what let it open: a job description of at least
    JOB_DESCRIPTION_MIN characters (MECHANISMS.md §5), whichever door revises it (the documents API included)."""
    pk = int(owner_id) if str(owner_id).isdigit() and 0 < int(owner_id) <= machines.MAX_ID else None
    state = OpeningRow.objects.filter(pk=pk).values_list("state", flat=True).first() if pk else None
    if state and state != OpeningState.DRAFT.value and len(parts.get(JD_PART, "")) < JOB_DESCRIPTION_MIN:
        raise RuleViolation(
            f"an opening that is {state} keeps a job description of at least {JOB_DESCRIPTION_MIN} characters",
            field=f"parts.{JD_PART}",
        )


def opening_url(owner_id: str) -> str:
    """The opening's page (where its job description is shown)."""
    return f"/hiring/openings/{owner_id}"


def _opening_row(actor: Actor, opening_id: Any) -> OpeningRow:
    _policy.require_signed_in(actor)
    row = _policy.visible_to(actor, OpeningRow.objects.all()).filter(pk=_id(opening_id)).first()
    if row is None:
        raise NotFound(f"opening {opening_id} does not exist", field="opening_id")
    return row


def _live_team(team_id: Any):
    team = org_services.get_teams(actor=PRODUCT, ids=[_id(team_id)]).get(_id(team_id))
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    if team.status.value not in ("forming", "active"):
        raise RuleViolation(f"team {team.slug} is {team.status.value}: it does not hire", field="team_id")
    return team


def _person_row(person_id: Any, field: str):
    person = org_services.get_people(actor=PRODUCT, ids=[_id(person_id, field)]).get(_id(person_id, field))
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field=field)
    if not person.active:
        raise RuleViolation(f"{person.handle} is not active", field=field)
    return person


def _hiring_manager(person_id: Any, team) -> int:
    person = _person_row(person_id, "hiring_manager_id")
    if not _policy.may_hire_for(PRODUCT, team.id, person.id):
        raise RuleViolation(
            f"{person.handle} cannot be the hiring manager: they must lead {team.slug} or manage its leader",
            field="hiring_manager_id",
        )
    return person.id


def _recruiter(person_id: Any, team) -> int | None:
    if person_id is None:
        return None
    person = _person_row(person_id, "recruiter_id")
    relations = org_services.relations_of(actor=Actor(user_id=None, person_id=person.id, label=person.handle))
    if not relations.has_role(Role.RECRUITER, team.org_unit_id):
        raise RuleViolation(
            f"{person.handle} cannot recruit for {team.slug}: they hold no recruiter role for its unit",
            field="recruiter_id",
        )
    return person.id


def _reports(ids: Any) -> list[int]:
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise RuleViolation("reports_ids must be a list of person ids", field="reports_ids")
    wanted = sorted({_id(i, "reports_ids") for i in ids})
    if len(wanted) > 200:
        raise RuleViolation("reports_ids names at most 200 people", field="reports_ids")
    found = org_services.get_people(actor=PRODUCT, ids=wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"person {missing[0]} does not exist", field="reports_ids")
    return wanted


def _principles(slugs: Any, *, keep: Sequence[str] = ()) -> list[str]:
    """Principle slugs in the given order, each active (one already on the opening may stay though deactivated)."""
    if isinstance(slugs, str | bytes) or not isinstance(slugs, Iterable):
        raise RuleViolation("principles must be a list of principle slugs", field="principles")
    wanted = [str(s).strip() for s in slugs]
    if len(set(wanted)) != len(wanted):
        raise RuleViolation("principles names a principle twice", field="principles")
    if len(wanted) > MAX_PRINCIPLES:
        raise RuleViolation(f"an opening assesses at most {MAX_PRINCIPLES} principles", field="principles")
    active = set(PrincipleRow.objects.filter(active=True).values_list("slug", flat=True)) | set(keep)
    unknown = [s for s in wanted if s not in active]
    if unknown:
        raise RuleViolation(f"{unknown[0]!r} is not an active leadership principle", field="principles")
    return wanted


def _opening_facts(row: OpeningRow) -> OpeningFacts:
    return OpeningFacts(
        state=OpeningState(row.state),
        job_description_length=len(_jd_text(row).strip()),
        principle_count=len(row.principles or []),
    )


def _opening_parties(actor: Actor, row: OpeningRow) -> frozenset[str]:
    kinds = set(_policy.opening_roles(actor, row))
    if actor.is_admin:
        kinds.add("admin")
    return frozenset(kinds & {"hiring_manager", "recruiter", "admin"})


class _OpeningContext:
    """What one transition of an opening reads (its row, the actor, the input, the time)."""

    def __init__(self, actor: Actor, row: OpeningRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()


def _opening_record_hook(step: machine_apply.Step) -> OpeningRecord:
    ctx: _OpeningContext = step.context
    record = _to_opening(ctx.row)
    _audit(
        ctx.actor,
        step.transition.name,
        OPENING_TYPE,
        ctx.row.id,
        ctx.row.title,
        before=step.before,
        after=_opening_view(record),
        reason=step.note,
    )
    return record


_OPENING_BINDING = machine_apply.Binding(
    machine=OPENING,
    load=_OpeningContext,
    facts=lambda ctx: _opening_facts(ctx.row),
    parties=lambda ctx: _opening_parties(ctx.actor, ctx.row),
    snapshot=lambda ctx: _opening_view(_to_opening(ctx.row)),
    record=_opening_record_hook,
)


# ------------------------------------------------------------------------------------------------ candidates


def add_candidate(
    *,
    actor: Actor,
    opening_id: int,
    name: str,
    email: str,
    phone: str = "",
    source: Source | str,
    source_detail: str = "",
) -> CandidateRecord:
    """Add a candidate to an opening that is not closed or filled (the opening's recruiters and hiring manager;
    MECHANISMS.md §5: candidate data is confidential to the loop, the hiring manager and recruiting). Raises
    NotFound, PermissionDenied, RuleViolation naming the field."""
    opening = _opening_row(actor, opening_id)
    _policy.require(actor, "add_candidate", opening, what="add candidates to this opening")
    if opening.state in (OpeningState.CLOSED.value, OpeningState.FILLED.value):
        raise RuleViolation(f"the opening is {opening.state}: it takes no new candidates", field="opening_id")
    values = {
        "name": _text(name, "name", NAME_MAX),
        "email": _email(email),
        "phone": _text(phone, "phone", 64, required=False),
        "source": _source(source),
        "source_detail": _text(source_detail, "source_detail", 200, required=False),
    }
    with transaction.atomic():
        row = CandidateRow.objects.create(
            opening=opening, state=CandidateState.APPLIED.value, added_by_id=actor.person_id, **values
        )
        record = _to_candidate(row)
        _audit(actor, "create", CANDIDATE_TYPE, row.id, row.name, before=None, after=_candidate_view(record))
    return record


def update_candidate(*, actor: Actor, candidate_id: int, changes: CandidateChanges, version: int) -> CandidateRecord:
    """Correct a candidate's name, contact or source (the opening's recruiters and hiring manager). An erased
    candidate no longer changes. Raises NotFound, PermissionDenied, RuleViolation, Conflict (stale version)."""
    row = _candidate_row(actor, candidate_id)
    _policy.require(actor, "edit_candidate", row, what="change this candidate")
    _require_not_erased(row)
    cleaners = {
        "name": lambda v: _text(v, "name", NAME_MAX),
        "email": _email,
        "phone": lambda v: _text(v, "phone", 64, required=False),
        "source": _source,
        "source_detail": lambda v: _text(v, "source_detail", 200, required=False),
    }
    values = {name: cleaners[name](value) for name, value in given(changes).items()}
    before = _candidate_view(_to_candidate(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=values, noun="candidate", refresh=False)
        record = _to_candidate(row)
        _audit(actor, "update", CANDIDATE_TYPE, row.id, row.name, before=before, after=_candidate_view(record))
    return record


def get_candidate(*, actor: Actor, candidate_id: int) -> CandidateRecord:
    """One candidate, for their insiders only; NotFound for everyone else (admins included)."""
    return _to_candidate(_candidate_row(actor, candidate_id))


def list_candidates(
    *,
    actor: Actor,
    opening_id: int | None = None,
    state: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[CandidateRecord]:
    """Candidates the actor is an insider of, newest first, by opening, state and words of the name (outsiders
    get none; the total counts only what they may see). Paginated. Raises RuleViolation for an unknown state."""
    _policy.require_signed_in(actor)
    qs = _policy.visible_to(actor, CandidateRow.objects.select_related("opening", "loop"))
    if opening_id is not None:
        qs = qs.filter(opening_id=_id(opening_id, "opening_id"))
    if state:
        if state not in {s.value for s in CandidateState}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in CandidateState)}", field="state")
        qs = qs.filter(state=state)
    if text:
        words = _text(text, "text", 200, required=False)
        for word in words.split()[:8]:
            qs = qs.filter(name__icontains=word, erased_at__isnull=True)
    return paginate(qs.order_by("-created_at", "-id"), limit=limit, offset=offset, convert=_to_candidate)


def can_edit_candidate(*, actor: Actor, candidate_id: int) -> bool:
    """Whether the actor may change the candidate (for the page; the services decide again)."""
    row = _candidate_row(actor, candidate_id)
    return row.erased_at is None and _policy.can(actor, "edit_candidate", row)


def can_erase_candidate(*, actor: Actor, candidate_id: int) -> bool:
    """Whether the actor may erase the candidate (the opening's recruiters; admins erase by id)."""
    row = _candidate_row(actor, candidate_id)
    return row.erased_at is None and _policy.can(actor, "erase_candidate", row)


def attach_resume(*, actor: Actor, candidate_id: int, filename: str, content: bytes, version: int) -> CandidateRecord:
    """Store a candidate's résumé (the opening's recruiters and hiring manager), replacing any earlier one.

    Rules (issue 10, candidate): at most `MECH_RESUME_MAX_BYTES` (5 MiB by default); a PDF, a Word document
    (DOCX) or plain text / Markdown, recognised from the content, never from the name; anything else is refused
    naming `resume`. The file goes to the default storage under a random key in `resumes/`, never served as
    static: it is read only through `read_resume`. Raises NotFound, PermissionDenied, RuleViolation, Conflict."""
    row = _candidate_row(actor, candidate_id)
    _policy.require(actor, "edit_candidate", row, what="attach a résumé to this candidate")
    _require_not_erased(row)
    name = _text(filename, "filename", 200)
    name = name.replace("/", "_").replace("\\", "_")
    if not isinstance(content, bytes | bytearray):
        raise RuleViolation("the résumé must be a file", field="resume")
    content = bytes(content)
    limit = resume_max_bytes()
    if not content:
        raise RuleViolation("the résumé is empty", field="resume")
    if len(content) > limit:
        raise RuleViolation(f"the résumé is larger than {limit} bytes", field="resume")
    content_type = resume_type(content, name)
    if row.version != version:
        raise conflict(row, version, noun="candidate")
    old_key = row.resume_key
    key = default_storage.save(f"{RESUME_KEY_PREFIX}{secrets.token_hex(16)}", ContentFile(content))
    before = _candidate_view(_to_candidate(row))
    try:
        with transaction.atomic():
            update_versioned(
                row,
                expected_version=version,
                changes={
                    "resume_name": name,
                    "resume_key": key,
                    "resume_type": content_type,
                    "resume_size": len(content),
                },
                noun="candidate",
                refresh=False,
            )
            record = _to_candidate(row)
            _audit(
                actor, "attach_resume", CANDIDATE_TYPE, row.id, row.name, before=before, after=_candidate_view(record)
            )
            if old_key:
                transaction.on_commit(lambda: default_storage.delete(old_key))
    except BaseException:
        default_storage.delete(key)  # nothing written: the new file must not stay behind
        raise
    return record


def read_resume(*, actor: Actor, candidate_id: int) -> ResumeFile:
    """A candidate's résumé for their insiders (NotFound for everyone else, and when there is none)."""
    row = _candidate_row(actor, candidate_id)
    if not row.resume_key:
        raise NotFound(f"candidate {candidate_id} has no résumé", field="resume")
    with default_storage.open(row.resume_key, "rb") as handle:
        content = handle.read()
    return ResumeFile(name=row.resume_name, content_type=row.resume_type, content=content)


def resume_max_bytes() -> int:
    return int(settings.MECHANISMS.get("RESUME_MAX_BYTES", 5 * 1024 * 1024))


def resume_type(content: bytes, filename: str = "") -> str:
    """The résumé's content type, recognised from its first bytes (kernel.files, the one sniffer): PDF, DOCX (a
    zip holding `word/`), plain text or Markdown (UTF-8 without control characters). RuleViolation naming `resume`
    for anything else, an HTML page or an SVG image included."""
    return files.sniff(content, filename, RESUME_TYPES, field="resume", noun="the résumé")


def withdraw_candidate(*, actor: Actor, candidate_id: int, version: int, reason: str = "") -> CandidateRecord:
    """The candidate withdrew (the opening's recruiters and hiring manager): an applied, in-loop or offered
    candidate becomes withdrawn. A loop still open is withdrawn by the loop services. Raises NotFound,
    PermissionDenied, RuleViolation (state), Conflict."""
    row = _candidate_row(actor, candidate_id)
    _policy.require(actor, "edit_candidate", row, what="withdraw this candidate")
    if row.state not in OPEN_CANDIDATE_STATES | {CandidateState.OFFER.value}:
        raise RuleViolation(f"a candidate who is {row.state} cannot withdraw", field="state")
    reason = _text(reason, "reason", 2000, required=False)
    return _move_candidate(actor, row, version, CandidateState.WITHDRAWN, verb="withdraw", reason=reason)


def accept_offer(*, actor: Actor, candidate_id: int, version: int) -> CandidateRecord:
    """The candidate accepted the offer (the opening's recruiters and hiring manager): offer -> hired; the opening
    is filled (one hire per opening). Raises NotFound, PermissionDenied, RuleViolation (state), Conflict."""
    row = _candidate_row(actor, candidate_id)
    _policy.require(actor, "edit_candidate", row, what="record this candidate's answer")
    if row.state != CandidateState.OFFER.value:
        raise RuleViolation(f"only a candidate with an offer can accept it (this one is {row.state})", field="state")
    with transaction.atomic():
        record = _move_candidate(actor, row, version, CandidateState.HIRED, verb="accept_offer")
        opening = OpeningRow.objects.get(pk=row.opening_id)
        if opening.state in FILL.sources:
            machine_apply.write(
                _OPENING_BINDING,
                actor=actor,
                row=opening,
                transition=FILL,
                to_state=OpeningState.FILLED.value,
                changes={"closed_on": clock.today()},
                note="the offer was accepted",
            )
    return record


def set_candidate_state(*, actor: Actor, candidate_id: int, state: CandidateState, reason: str = "") -> None:
    """The loop services' move of a candidate (in_loop when a loop starts, offer / rejected at the decision,
    withdrawn with the loop), inside their own transaction; no check here beyond the row existing: the loop
    services authorized the move."""
    row = CandidateRow.objects.get(pk=candidate_id)
    _move_candidate(actor, row, row.version, state, verb="state", reason=reason)


def erase_candidate(*, actor: Actor, candidate_id: int, reason: str) -> CandidateRecord:
    """Erase a candidate's personal content on request (issue 10; the access issue §4; docs/hiring.md "Erasure").
    The opening's recruiters and admins; a reason is required (kept in plain text: it must not repeat personal
    content).

    In one transaction: the name becomes "Erased candidate #<id>"; email, phone, source detail and the résumé's
    facts are blanked and the file deleted from storage (on commit); the loop's feedback summaries, STAR text,
    debrief-vote reasons, the bar raiser's reasoning, the decision rationale and the timeline's notes are blanked;
    the candidate's history key is destroyed (`audit_services.erase_subject`), so their earlier changes read
    `erased`. Votes, ratings, timings, states, principles and the outcome stay: the anonymous aggregates of the
    health figures. Raises NotFound (outsiders who are not admins), PermissionDenied, RuleViolation."""
    _policy.require_signed_in(actor)
    row = CandidateRow.objects.select_related("opening", "loop").filter(pk=_id(candidate_id, "candidate_id")).first()
    if row is None or (not actor.is_admin and not _policy.candidate_roles(actor, row)):
        raise NotFound(f"candidate {candidate_id} does not exist", field="candidate_id")
    _policy.require(actor, "erase_candidate", row, what="erase this candidate")
    reason = _text(reason, "reason", 200)
    if row.erased_at is not None:
        raise RuleViolation(f"candidate {row.id} is erased already", field="candidate_id")
    with transaction.atomic():
        # erase_subject is an admin's service; the hiring policy has just decided this actor may erase the
        # candidate, and the erasure is recorded under the actor's own name. It calls back `erase_live` (the
        # subject type's erase hook, history.py) before it destroys the key, so every door that erases a
        # candidate blanks the same things.
        audit_services.erase_subject(
            actor=Actor(user_id=actor.user_id, person_id=actor.person_id, label=actor.label, is_admin=True),
            subject_type=CANDIDATE_TYPE,
            subject_id=row.id,
            reason=reason,
        )
        CandidateRow.objects.filter(pk=row.pk).update(erase_reason=reason)
    row = CandidateRow.objects.select_related("opening", "loop").get(pk=row.pk)
    return _to_candidate(row)


def erase_live(candidate_id: int) -> None:
    """Blank a candidate's personal content in every hiring table (the hiring_candidate subject type's erase hook,
    called by `audit_services.erase_subject` inside its transaction; docs/hiring.md "Erasure"): the candidate's
    name, contact, source detail and résumé (the file is deleted once the transaction commits), and the free text
    of their loop. Idempotent; an unknown id is left alone."""
    row = CandidateRow.objects.filter(pk=int(candidate_id)).first()
    if row is None:
        return
    old_key = row.resume_key
    CandidateRow.objects.filter(pk=row.pk).update(
        name=ERASED_NAME.format(id=row.id),
        email="",
        phone="",
        source_detail="",
        resume_name="",
        resume_key="",
        resume_type="",
        resume_size=0,
        erased_at=row.erased_at or clock.now(),
        version=row.version + 1,
    )
    _blank_loop_text(row.id)
    if old_key:
        transaction.on_commit(lambda: default_storage.delete(old_key))


def _blank_loop_text(candidate_id: int) -> None:
    """Blank the free text of the candidate's loop in every hiring table (what an interviewer, the bar raiser or
    the hiring manager wrote about the person); numbers, choices and timings stay."""
    loops = LoopRow.objects.filter(candidate_id=candidate_id)
    feedback = FeedbackRow.objects.filter(interview__loop__in=loops)
    EvidenceRow.objects.filter(feedback__in=feedback).update(situation="", task="", action="", result="")
    feedback.update(summary="")
    DebriefVoteRow.objects.filter(loop__in=loops).update(reason="")
    LoopEventRow.objects.filter(loop__in=loops).update(note="")
    loops.update(decision_rationale="", recommendation_reasoning="", debrief_open_reason="")
    for loop_id in loops.values_list("id", flat=True):
        bar_raisers_services.erase_review_text(subject_kind=SubjectKind.HIRING_LOOP, subject_id=loop_id)


def _candidate_row(actor: Actor, candidate_id: Any) -> CandidateRow:
    """The candidate if the actor is one of their insiders, else NotFound (the same answer as for none)."""
    _policy.require_signed_in(actor)
    row = CandidateRow.objects.select_related("opening", "loop").filter(pk=_id(candidate_id, "candidate_id")).first()
    if row is None or not _policy.candidate_roles(actor, row):
        raise NotFound(f"candidate {candidate_id} does not exist", field="candidate_id")
    return row


def _require_not_erased(row: CandidateRow) -> None:
    if row.erased_at is not None:
        raise RuleViolation(f"candidate {row.id} is erased: nothing about them changes", field="candidate_id")


def _move_candidate(
    actor: Actor, row: CandidateRow, version: int, state: CandidateState, *, verb: str, reason: str = ""
) -> CandidateRecord:
    before = _candidate_view(_to_candidate(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={"state": state.value}, noun="candidate", refresh=False)
        record = _to_candidate(row)
        _audit(
            actor, verb, CANDIDATE_TYPE, row.id, row.name, before=before, after=_candidate_view(record), reason=reason
        )
    return record


def _email(value: Any) -> str:
    email = _text(value, "email", 254)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email):
        raise RuleViolation("email must be an address such as name@example.com", field="email")
    return email


def _source(value: Any) -> str:
    try:
        return Source(value).value
    except ValueError:
        raise RuleViolation(f"source must be one of {', '.join(s.value for s in Source)}", field="source") from None


# ------------------------------------------------------------------------------------------------ mechanism health


def can_manage_principles(*, actor: Actor) -> bool:
    """Whether the actor may change the principles list (admins and company-wide recruiters): for the page."""
    return _policy.can(actor, "manage_principles")


def can_see_health(*, actor: Actor) -> bool:
    """Whether the actor may read the health figures (admins, leadership, recruiters): for the navigation."""
    return _policy.can(actor, "see_health")


def hiring_health(*, actor: Actor, since: Any = None, until: Any = None) -> HealthReport:
    """The hiring mechanism's health over the loops decided between `since` and `until` (dates, inclusive;
    MECHANISMS.md §4-§5, issue 10 deliverable 5): the share with a qualified (in the pool when the loop was
    planned) and independent bar raiser; feedback promptness (median and 90th-percentile minutes from the
    interview's end to submission, share within 24 hours); veto and override rates; principle coverage; each
    interviewer's calibration (their submitted votes against the outcomes). Anonymous aggregates only.

    Admins, leadership and recruiters read it, company-wide or for the teams of their unit. Raises
    PermissionDenied, RuleViolation (`since` after `until`)."""
    _policy.require_signed_in(actor)
    teams = _policy.health_team_ids(actor)
    if since is not None and until is not None and since > until:
        raise RuleViolation("since must not be after until", field="since")
    from . import health as _health

    return _health.compute(teams=teams, since=since, until=until)


def bar_raiser_was_qualified(loop: Any) -> bool:
    """Whether a loop's bar raiser was in the pool when the loop was planned (trained on or before that day) and is
    independent of its hiring manager, its team and its recruiter (MECHANISMS.md §4; the one rule in
    bar_raisers): the health figures' first share. `loop` is the app's own row. Independence is judged against
    today's org chart (the chart's history is not kept)."""
    if loop.bar_raiser_id is None:
        return False
    member = bar_raisers_services.find_pool_member(actor=PRODUCT, person_id=loop.bar_raiser_id)
    if member is None or member.trained_on > loop.created_at.date():
        return False
    opening = loop.opening
    subject = Subject(
        kind=SubjectKind.HIRING_LOOP,
        id=loop.id,
        title=f"Loop #{loop.id}",
        owner_id=opening.hiring_manager_id,
        team_ids=(opening.team_id,),
        excluded_ids=(opening.recruiter_id,) if opening.recruiter_id else (),
    )
    return (
        bar_raisers_services.independence_problem(actor=PRODUCT, person_id=loop.bar_raiser_id, subject=subject) is None
    )


def overridden_loop_ids(loop_ids: Iterable[int]) -> frozenset[int]:
    """Which of these loops' bar-raiser reviews the hiring manager overrode (bar_raisers' record of the response)."""
    wanted, found, offset = set(loop_ids), set(), 0
    while wanted:
        page = bar_raisers_services.list_reviews(
            actor=PRODUCT, kind=SubjectKind.HIRING_LOOP.value, state="overridden", limit=200, offset=offset
        )
        found |= {r.subject_id for r in page.items if r.subject_id in wanted}
        if page.next_offset is None:
            break
        offset = page.next_offset
    return frozenset(found)


# ------------------------------------------------------------------------------------------------ helpers


def _id(value: Any, field: str = "id") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except (TypeError, ValueError):
            raise RuleViolation(f"{field} must be a whole number", field=field) from None
    if not (0 < value <= machines.MAX_ID):
        raise NotFound(f"{field.removesuffix('_id')} {value} does not exist", field=field)
    return value


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise RuleViolation(f"{field} must be true or false", field=field)
    return value


def _audit(
    actor: Actor,
    verb: str,
    subject_type: str,
    subject_id: int,
    label: str,
    *,
    before: Any,
    after: Any,
    reason: str = "",
) -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=label[:200],
        before=before,
        after=after,
        reason=reason,
    )


def _principle_view(p: PrincipleRecord) -> dict[str, Any]:
    return {"slug": p.slug, "name": p.name, "description": p.description, "position": p.position, "active": p.active}


def _opening_view(o: OpeningRecord) -> dict[str, Any]:
    return {
        "title": o.title,
        "team_id": o.team_id,
        "hiring_manager_id": o.hiring_manager_id,
        "recruiter_id": o.recruiter_id,
        "level": o.level,
        "manager_role": o.manager_role,
        "reports_ids": list(o.reports_ids),
        "principles": list(o.principles),
        "state": o.state.value,
    }


def _candidate_view(c: CandidateRecord) -> dict[str, Any]:
    return {
        "opening_id": c.opening_id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "source": c.source.value,
        "source_detail": c.source_detail,
        "resume_name": c.resume_name,
        "resume_size": c.resume_size,
        "state": c.state.value,
    }


def _to_principle(row: PrincipleRow) -> PrincipleRecord:
    return PrincipleRecord(
        id=row.id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        position=row.position,
        active=row.active,
        version=row.version,
    )


def _openings_page(rows: Page) -> Page[OpeningRecord]:
    teams = org_services.get_teams(actor=PRODUCT, ids={r.team_id for r in rows.items})
    people = org_services.get_people(
        actor=PRODUCT, ids={p for r in rows.items for p in (r.hiring_manager_id, r.recruiter_id) if p is not None}
    )
    # Every row's job description in one query (the rows were read through the policy already).
    revisions = documents_services.current_revisions(owner_kind=JD_KIND, owner_ids=[r.id for r in rows.items])
    for r in rows.items:
        r.__dict__["_jd_revision"] = revisions.get(str(r.id))
    return rows.map(lambda r: _to_opening(r, teams=teams, people=people))


def _jd_of(row: OpeningRow) -> RevisionRecord | None:
    """The current revision of the opening's job description (read once per row object; None without one)."""
    if "_jd_revision" not in row.__dict__:
        found = documents_services.current_revisions(owner_kind=JD_KIND, owner_ids=[row.id])
        row.__dict__["_jd_revision"] = found.get(str(row.id))
    return row.__dict__["_jd_revision"]


def _jd_text(row: OpeningRow) -> str:
    """The opening's job description as its current revision has it (the rules read this)."""
    revision = _jd_of(row)
    return revision.text(JD_PART) if revision is not None else ""


def _to_opening(row: OpeningRow, *, teams: Mapping | None = None, people: Mapping | None = None) -> OpeningRecord:
    if teams is None:
        teams = org_services.get_teams(actor=PRODUCT, ids=[row.team_id])
    if people is None:
        people = org_services.get_people(
            actor=PRODUCT, ids=[p for p in (row.hiring_manager_id, row.recruiter_id) if p is not None]
        )
    team = teams.get(row.team_id)
    revision = _jd_of(row)
    manager = people.get(row.hiring_manager_id)
    recruiter = people.get(row.recruiter_id) if row.recruiter_id is not None else None
    return OpeningRecord(
        id=row.id,
        title=row.title,
        team_id=row.team_id,
        team_slug=team.slug if team else "",
        team_name=team.name if team else "",
        hiring_manager_id=row.hiring_manager_id,
        hiring_manager_handle=manager.handle if manager else "",
        recruiter_id=row.recruiter_id,
        recruiter_handle=recruiter.handle if recruiter else "",
        level=row.level,
        manager_role=row.manager_role,
        reports_ids=tuple(int(i) for i in row.reports_ids or ()),
        job_description=revision.text(JD_PART) if revision is not None else "",
        principles=tuple(row.principles or ()),
        state=OpeningState(row.state),
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        created_at=row.created_at,
        version=row.version,
        document_id=revision.document_id if revision is not None else None,
        job_description_revision=revision.number if revision is not None else 0,
    )


def _to_candidate(row: CandidateRow) -> CandidateRecord:
    loop = _policy.loop_of(row)  # read with the candidate (select_related) by every read of candidates
    loop_id = loop.id if loop is not None else None
    return CandidateRecord(
        id=row.id,
        opening_id=row.opening_id,
        opening_title=row.opening.title,
        name=row.name,
        email=row.email,
        phone=row.phone,
        source=Source(row.source),
        source_detail=row.source_detail,
        resume_name=row.resume_name,
        resume_type=row.resume_type,
        resume_size=row.resume_size,
        state=CandidateState(row.state),
        loop_id=loop_id,
        erased=row.erased_at is not None,
        created_at=row.created_at,
        version=row.version,
    )


# --- loops: loops, interviews, feedback, the debrief, the decision (the `loops` helper's part)
#
# The loop's transitions are declared once in machines.py (LOOP) and applied by kernel.machine_apply; feedback is
# sealed by policy.py. The bar raiser comes from the bar-raisers app: a loop is a review subject of kind HIRING_LOOP
# (its title names the opening and the loop number, never the candidate), the recommendation is that review's, and
# a decision against it is an override there. Notifications never carry candidate contact, feedback text, votes or
# ratings.


LOOP_SUBJECT = "hiring_loop"
INTERVIEW_SUBJECT = "hiring_interview"
FEEDBACK_SUBJECT = "hiring_feedback"
L = LoopState
OPEN_LOOP_STATES = frozenset({L.PLANNING.value, L.INTERVIEWING.value, L.DEBRIEF.value})
PLANNABLE = frozenset({L.PLANNING.value, L.INTERVIEWING.value})  # interviews and the bar raiser may still change
WRITABLE = frozenset({L.INTERVIEWING.value, L.DEBRIEF.value})  # feedback may be written (late, after an early debrief)
PLANNERS = frozenset({LoopParty.HIRING_MANAGER.value, LoopParty.RECRUITER.value})
TEXT_MAX = 20_000
notifications_services.declare_kinds(
    kinds=[
        *(f"hiring_loop.{t.name}" for t in LOOP.transitions),
        "hiring_loop.created",
        "hiring_loop.bar_raiser",
        "hiring_loop.recommended",
        "hiring_interview.scheduled",
        "hiring_interview.changed",
        "hiring_interview.cancelled",
        "hiring_feedback.overdue",
        "hiring_feedback.overdue.escalated",  # the deadlines helper's escalation up the interviewer's chain
    ]
)


def feedback_due_hours() -> int:
    """Feedback is due this many hours after the interview ends (MECH_FEEDBACK_DUE_HOURS, default 24)."""
    return int(settings.MECHANISMS.get("FEEDBACK_DUE_HOURS", 24))


def feedback_escalate_hours() -> int:
    """Late feedback climbs the interviewer's management chain one level per this many hours (0: never)."""
    return int(settings.MECHANISMS.get("FEEDBACK_ESCALATE_AFTER_HOURS", 24))


# ---------------------------------------------------------------------------------------------- loops


def create_loop(*, actor: Actor, candidate_id: int, bar_raiser_id: int | None = None, reason: str = "") -> LoopRecord:
    """Start planning a candidate's interview loop (MECHANISMS.md §5): the opening must be open, the candidate
    applied and without a loop; a bar raiser is required, so the loop asks the bar-raisers app for a review at once
    (the first suggestion, independent and least loaded, when none is named; a manual pick states why). The
    recruiter is never the bar raiser. The opening's recruiters and its hiring manager only.
    Raises NotFound (a candidate the actor may not see), PermissionDenied, RuleViolation naming the field."""
    org_services.require_signed_in(actor)
    candidate = _candidate_row(actor, candidate_id)
    opening = candidate.opening
    _policy.require(actor, "plan_loop", opening, what="plan this candidate's loop", field="candidate_id")
    if opening.state != OpeningState.OPEN.value:
        raise RuleViolation(
            f"the opening is {opening.state}; loops start only on an open opening",
            field="opening",
            details={"field": "opening", "rule": "opening-open"},
        )
    if LoopRow.objects.filter(candidate_id=candidate.id).exists():
        raise RuleViolation("this candidate already has a loop", field="candidate_id")
    if candidate.state != CandidateState.APPLIED.value:
        raise RuleViolation(f"the candidate is {candidate.state}, not applied", field="candidate_id")
    if bar_raiser_id is not None and bar_raiser_id == opening.recruiter_id:
        raise _recruiter_refusal()
    with transaction.atomic():
        row = LoopRow.objects.create(candidate=candidate, opening=opening, state=LOOP.initial)
        review = bar_raisers_services.request_review(
            actor=actor, subject=_subject(row), bar_raiser_id=bar_raiser_id, reason=reason
        )
        LoopRow.objects.filter(pk=row.pk).update(bar_raiser_id=review.bar_raiser_id)
        row.bar_raiser_id = review.bar_raiser_id
        set_candidate_state(actor=actor, candidate_id=candidate.pk, state=CandidateState.IN_LOOP)
        _event(row, actor, "create", "", row.state, "")
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor, verb="create", subject_type=LOOP_SUBJECT, subject_id=row.id, after=_loop_audit(loop)
        )
        _notify(actor, row, "created", f"{loop.title}: planning started", _insiders(row) - {row.bar_raiser_id})
    return loop


def change_bar_raiser(
    *, actor: Actor, loop_id: int, version: int, bar_raiser_id: int | None = None, reason: str = ""
) -> LoopRecord:
    """Put another bar raiser on the loop before its debrief (MECHANISMS.md §4-§5): the open review is withdrawn
    (releasing the old assignment) and a new one requested (suggested, or a manual pick with a reason). The
    recruiter is never the bar raiser. The opening's recruiters and hiring manager; the bar-raisers app lets only
    the review's owner (the hiring manager) withdraw it. Raises NotFound, PermissionDenied, RuleViolation,
    Conflict."""
    row = _loop_row(actor, loop_id)
    _require_planner(actor, row, "change the bar raiser")
    _require_version(row, version)
    if row.state not in PLANNABLE:
        raise RuleViolation(f"the loop is {row.state}; the bar raiser changes only before the debrief", field="state")
    if bar_raiser_id is not None and bar_raiser_id == row.opening.recruiter_id:
        raise _recruiter_refusal()
    before = _loop_audit(_to_loop(row))
    with transaction.atomic():
        current = bar_raisers_services.review_for(actor=actor, subject_kind=SubjectKind.HIRING_LOOP, subject_id=row.id)
        if current is not None and current.state.value in ("requested", "recommended"):
            with _through_the_loop():
                bar_raisers_services.withdraw_review(
                    actor=actor,
                    review_id=current.id,
                    version=current.version,
                    reason=_text(reason, "reason", 5000, required=False) or "another bar raiser takes the loop",
                )
        review = bar_raisers_services.request_review(
            actor=actor, subject=_subject(row), bar_raiser_id=bar_raiser_id, reason=reason
        )
        _cas(row, version, {"bar_raiser_id": review.bar_raiser_id})
        _event(row, actor, "change_bar_raiser", row.state, row.state, "")
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor,
            verb="change_bar_raiser",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            before=before,
            after=_loop_audit(loop),
            reason=reason,
        )
    return loop


def get_loop(*, actor: Actor, loop_id: int) -> LoopRecord:
    """One loop, for its insiders (hiring/policy.py). Raises NotFound for everyone else."""
    return _to_loop(_loop_row(actor, loop_id))


def loop_view(*, actor: Actor, loop_id: int) -> LoopView:
    """A loop, the viewer's parties on it, the transitions they may take now and what would refuse its start
    (the loop page)."""
    row = _loop_row(actor, loop_id)
    ctx = _LoopContext(actor, row)
    parties = ctx.parties()
    debrief = row.state == L.DEBRIEF.value
    interviewer = LoopParty.INTERVIEWER.value in parties
    return LoopView(
        loop=_to_loop(row, ctx.interviews()),
        parties=tuple(sorted(parties)),
        actions=machines.available(LOOP, _facts(ctx), parties),
        problems=tuple(ctx.problems()) if row.state == L.PLANNING.value else (),
        can_plan=bool(PLANNERS & parties) and row.state in PLANNABLE,
        # the same conditions change_vote and recommend_on_loop enforce
        may_change_vote=debrief
        and interviewer
        and any(i.interviewer_id == actor.person_id and i.id in ctx.submitted() for i in ctx.live()),
        may_recommend=debrief and LoopParty.BAR_RAISER.value in parties and not row.recommendation,
        timeline=tuple(
            LoopEventRecord(e.at, e.transition, e.from_state, e.to_state, e.actor_label, e.note)
            for e in LoopEventRow.objects.filter(loop_id=row.pk).order_by("at", "id")
        ),
    )


def loop_check(*, actor: Actor, loop_id: int) -> list[Problem]:
    """Every loop rule the loop breaks now (hiring/rules.py), each naming its rule and field: what would refuse
    its start. Insiders only (NotFound otherwise)."""
    row = _loop_row(actor, loop_id)
    return _LoopContext(actor, row).problems()


def list_loops(
    *,
    actor: Actor,
    opening_id: int | None = None,
    state: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[LoopRecord]:
    """The loops the actor is an insider of, newest first, by opening and state. Outsiders (admins included) see
    none. Raises RuleViolation naming a bad filter."""
    org_services.require_signed_in(actor)
    qs = _policy.visible_to(actor, LoopRow.objects.select_related("opening", "candidate"))
    if opening_id is not None:
        qs = qs.filter(opening_id=opening_id)
    if state:
        if state not in {s.value for s in L}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in L)}", field="state")
        qs = qs.filter(state=state)
    page = paginate(qs.order_by("-created_at", "-id"), limit=limit, offset=offset, convert=lambda r: r)
    rows = list(page.items)
    interviews = _interviews_of([r.id for r in rows])
    every = [i for ivs in interviews.values() for i in ivs]
    names = _names(rows, every)
    submitted = _submitted_at([i.id for i in every])
    return page.map(lambda r: _to_loop(r, interviews.get(r.id, []), names, submitted))


def apply_loop_transition(
    *, actor: Actor, loop_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> LoopRecord:
    """Take one transition of the declared loop machine (hiring/machines.py), in the order of
    kernel/machine_apply.py: the version (409), the state, the guard and the party (400/403 naming the rule), the
    input (400 naming the field), the compare-and-set, the timeline, the audit record, the notices. A start that
    breaks a loop rule is refused naming that rule (details.rule) and every problem (details.problems)."""
    row = _loop_row(actor, loop_id)
    if transition == "start" and row.version == version and row.state == L.PLANNING.value:
        ctx = _LoopContext(actor, row)
        if ctx.parties() & PLANNERS and (problems := ctx.problems()):
            first = problems[0]
            raise RuleViolation(
                f"{first.rule}: {first.message}",
                field=first.field,
                details={
                    "field": first.field,
                    "rule": first.rule,
                    "problems": [{"rule": p.rule, "field": p.field, "message": p.message} for p in problems],
                },
            )
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def _move(name: str, actor: Actor, loop_id: int, version: int, **values: Any) -> LoopRecord:
    return apply_loop_transition(actor=actor, loop_id=loop_id, version=version, transition=name, values=values)


def start_loop(*, actor: Actor, loop_id: int, version: int) -> LoopRecord:
    """Start the loop: no loop rule broken (hiring/rules.py; refused naming the rule). From now on feedback is
    sealed and each interview's feedback is due after it ends. Hiring manager or recruiter."""
    return _move("start", actor, loop_id, version)


def open_debrief(*, actor: Actor, loop_id: int, version: int, reason: str = "") -> LoopRecord:
    """The bar raiser opens the debrief before all feedback is in, with a recorded reason (MECHANISMS.md §5; it
    opens by itself when the last feedback is submitted). Bar raiser only."""
    return _move("open_debrief", actor, loop_id, version, reason=reason)


def withdraw_loop(*, actor: Actor, loop_id: int, version: int, reason: str) -> LoopRecord:
    """Withdraw an undecided loop (the candidate withdrew, the opening closed), with a reason: the bar raiser's
    review is withdrawn and the candidate marked withdrawn. Hiring manager or recruiter."""
    return _move("withdraw", actor, loop_id, version, reason=reason)


# ---------------------------------------------------------------------------------------------- interviews


def add_interview(
    *,
    actor: Actor,
    loop_id: int,
    interviewer_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    principles: Sequence[str],
) -> InterviewRecord:
    """Add an interview to a loop being planned or under way (MECHANISMS.md §5): an active interviewer who is not
    in the loop yet (and, for a manager role, not one of the would-be reports), one or two of the opening's
    principles, an end after the start. Once the loop has started, the change must keep every loop rule (coverage
    included), and the feedback is due after the interview ends. The opening's recruiters and hiring manager.
    Raises NotFound, PermissionDenied, RuleViolation naming the rule and field."""
    row = _loop_row(actor, loop_id)
    _require_planner(actor, row, "plan this loop's interviews")
    _require_plannable(row)
    person = _active_person(actor, interviewer_id)
    values = _interview_values(row.opening, starts_at, ends_at, principles)
    ctx = _LoopContext(actor, row)
    problem = rules.interviewer_problem(ctx.rule_facts(), person.id)
    if problem is not None:
        raise _problem_error(problem)
    with transaction.atomic():
        interview = InterviewRow.objects.create(loop=row, interviewer_id=person.id, **values)
        _keep_rules_once_started(actor, row)
        _interview_audit(actor, "create", interview, before=None)
        if row.state == L.INTERVIEWING.value:
            _track_feedback(actor, row, interview, fresh=True)
        _notify_interviewer(actor, row, interview, "scheduled", "you interview for")
    return _to_interview(interview, {person.id: person})


def update_interview(*, actor: Actor, interview_id: int, version: int, changes: InterviewChanges) -> InterviewRecord:
    """Move an interview or change its principles (MECHANISMS.md §5), before its feedback is submitted; once the
    loop has started every loop rule must still hold and the feedback's due time follows the new end. The
    opening's recruiters and hiring manager. Raises NotFound, PermissionDenied, RuleViolation, Conflict."""
    interview = _interview_row(actor, interview_id)
    row = interview.loop
    _require_planner(actor, row, "plan this loop's interviews")
    _require_plannable(row)
    _require_not_submitted(interview)
    if interview.cancelled:
        raise RuleViolation("this interview was cancelled", field="interview_id")
    if interview.version != version:
        raise _stale("interview", interview.id, version, interview.version)
    wanted = given(changes)
    values = _interview_values(
        row.opening,
        wanted.get("starts_at", interview.starts_at),
        wanted.get("ends_at", interview.ends_at),
        wanted.get("principles", interview.principles),
    )
    values = {k: v for k, v in values.items() if getattr(interview, k) != v}
    if not values:
        return _to_interview(interview)
    with transaction.atomic():
        before = _interview_view(interview)
        if not machine_apply.compare_and_set(interview, expected_version=version, changes=values):
            raise _stale("interview", interview.id, version, version + 1)
        _keep_rules_once_started(actor, row)
        _interview_audit(actor, "update", interview, before=before)
        if row.state == L.INTERVIEWING.value:
            _track_feedback(actor, row, interview)
        _notify_interviewer(actor, row, interview, "changed", "your interview moved:")
    return _to_interview(interview)


def cancel_interview(*, actor: Actor, interview_id: int, version: int, reason: str = "") -> InterviewRecord:
    """Cancel an interview whose feedback is not submitted (its draft, if any, stays its author's alone). Once the
    loop has started every loop rule must still hold; when every remaining interview has its feedback in, the
    debrief opens. The opening's recruiters and hiring manager. Raises NotFound, PermissionDenied,
    RuleViolation, Conflict."""
    interview = _interview_row(actor, interview_id)
    row = interview.loop
    _require_planner(actor, row, "cancel this loop's interviews")
    _require_plannable(row)
    _require_not_submitted(interview)
    if interview.cancelled:
        return _to_interview(interview)
    if interview.version != version:
        raise _stale("interview", interview.id, version, interview.version)
    note = _text(reason, "reason", 5000, required=False)
    with transaction.atomic():
        before = _interview_view(interview)
        if not machine_apply.compare_and_set(interview, expected_version=version, changes={"cancelled": True}):
            raise _stale("interview", interview.id, version, version + 1)
        _keep_rules_once_started(actor, row, cancelling=True)
        _interview_audit(actor, "cancel", interview, before=before, reason=note)
        notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
        _notify_interviewer(actor, row, interview, "cancelled", "cancelled: your interview for")
        _open_debrief_when_all_in(actor, row.pk)
    return _to_interview(interview)


def my_interviews(
    *,
    actor: Actor,
    upcoming: bool | None = None,
    feedback_due: bool = False,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[MyInterview]:
    """The actor's own interviews (not cancelled) with their feedback status: none, draft or submitted, and when
    it is due. `upcoming`: True only those not ended yet, False only those ended. `feedback_due`: only ended
    interviews whose feedback the actor still owes (the loop interviewing or in its debrief, not submitted), as
    the deadlines helper counts them. Soonest first."""
    org_services.require_signed_in(actor)
    qs = InterviewRow.objects.filter(interviewer_id=actor.person_id or -1, cancelled=False).select_related(
        "loop", "loop__opening"
    )
    now = clock.now()
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now)
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now)
    if feedback_due:
        qs = qs.filter(ends_at__lt=now, loop__state__in=sorted(WRITABLE)).exclude(feedback__submitted_at__isnull=False)
    page = paginate(qs.order_by("starts_at", "id"), limit=limit, offset=offset, convert=lambda r: r)
    feedback = {f.interview_id: f for f in FeedbackRow.objects.filter(interview_id__in=[i.id for i in page.items])}
    teams = _team_slugs({i.loop.opening.team_id for i in page.items})
    due = dt.timedelta(hours=feedback_due_hours())

    def convert(i: InterviewRow) -> MyInterview:
        fb = feedback.get(i.id)
        status = "none" if fb is None else ("submitted" if fb.submitted_at else "draft")
        return MyInterview(
            interview_id=i.id,
            loop_id=i.loop_id,
            loop_title=_title(i.loop, teams),
            loop_state=L(i.loop.state),
            starts_at=i.starts_at,
            ends_at=i.ends_at,
            principles=tuple(i.principles),
            feedback=status,
            submitted_at=fb.submitted_at if fb else None,
            due_at=i.ends_at + due,
            overdue=status != "submitted" and i.loop.state in WRITABLE and now > i.ends_at + due,
        )

    return page.map(convert)


# ---------------------------------------------------------------------------------------------- feedback


def save_feedback(
    *,
    actor: Actor,
    interview_id: int,
    vote: Vote | str | None = None,
    summary: str = "",
    evidence: Sequence[EvidenceInput] = (),
) -> FeedbackRecord:
    """Save the interviewer's draft feedback (MECHANISMS.md §5): only the interviewer, only evidence for the
    interview's assigned principles, ratings 1-4, a vote without neutral; a draft is readable by its author alone.
    Submitted feedback never changes: saving it again is refused naming `feedback`."""
    return _write_feedback(actor, interview_id, vote, summary, evidence, submit=False)


def submit_feedback(
    *,
    actor: Actor,
    interview_id: int,
    vote: Vote | str | None = None,
    summary: str = "",
    evidence: Sequence[EvidenceInput] = (),
) -> FeedbackRecord:
    """Submit the interviewer's feedback (MECHANISMS.md §5): only after the interview started; every assigned
    principle has all four STAR parts (situation, task, action, result) and a rating 1-4; an overall vote with no
    neutral. Records when, and the minutes from the interview's end; immutable afterwards (a later save or submit is
    refused naming `feedback`). Ends its reminders; when it is the last outstanding feedback, the debrief opens."""
    return _write_feedback(actor, interview_id, vote, summary, evidence, submit=True)


def get_feedback(*, actor: Actor, interview_id: int) -> FeedbackRecord:
    """One interviewer's feedback, sealed (docs/hiring.md, who sees what): the interviewer always reads their own;
    nobody else reads a draft; before the debrief opens insiders get PermissionDenied "sealed until the debrief"
    and outsiders (admins included) NotFound; after it, insiders read submitted feedback, except an interviewer who
    has not submitted their own ("sealed until you submit yours")."""
    interview = _interview_row(actor, interview_id, own_ok=True)
    fb = FeedbackRow.objects.filter(interview_id=interview.id).first()
    if interview.interviewer_id != actor.person_id:
        _policy.require_feedback_readable(
            actor,
            interview.loop,
            author_id=interview.interviewer_id,
            submitted=fb is not None and fb.submitted_at is not None,
            what=f"feedback on interview {interview.id}",
        )
    people = _people({interview.interviewer_id})
    return _to_feedback(interview, fb, people)


def feedback_status(*, actor: Actor, loop_id: int) -> FeedbackStatus:
    """Who has submitted feedback and when, with the minutes from the interview's end (MECHANISMS.md §5): what
    insiders may see before the debrief. Never a vote. Insiders only (NotFound otherwise)."""
    row = _loop_row(actor, loop_id)
    interviews = [i for i in _interviews_of([row.id]).get(row.id, []) if not i.cancelled]
    submitted = dict(
        FeedbackRow.objects.filter(interview__in=interviews, submitted_at__isnull=False).values_list(
            "interview_id", "submitted_at"
        )
    )
    minutes = dict(
        FeedbackRow.objects.filter(interview__in=interviews, submitted_at__isnull=False).values_list(
            "interview_id", "minutes_to_submit"
        )
    )
    people = _people({i.interviewer_id for i in interviews})
    now, due = clock.now(), dt.timedelta(hours=feedback_due_hours())
    lines = tuple(
        FeedbackStatusLine(
            interview_id=i.id,
            interviewer_id=i.interviewer_id,
            interviewer_handle=_handle(people, i.interviewer_id),
            ends_at=i.ends_at,
            submitted_at=submitted.get(i.id),
            minutes_to_submit=minutes.get(i.id),
            overdue=i.id not in submitted and row.state in WRITABLE and now > i.ends_at + due,
        )
        for i in interviews
    )
    return FeedbackStatus(loop_id=row.id, state=L(row.state), lines=lines)


def feedback_still_due(interview_ids: set[int]) -> set[int]:
    """Which of these interviews still owe their feedback (the deadlines helper asks before it reminds anyone):
    not cancelled, in a loop that is interviewing or in its debrief, feedback not submitted."""
    return set(
        InterviewRow.objects.filter(pk__in=interview_ids, cancelled=False, loop__state__in=sorted(WRITABLE))
        .exclude(feedback__submitted_at__isnull=False)
        .values_list("id", flat=True)
    )


# ---------------------------------------------------------------------------------------------- the debrief


def get_debrief(*, actor: Actor, loop_id: int) -> DebriefRecord:
    """The debrief room (MECHANISMS.md §5), for insiders once it is open: every submitted vote first (interviewer,
    vote, minutes to submit), then the feedback, the changed votes with their reasons, the bar raiser's
    recommendation and the decision. Nothing scores or ranks the candidate. An interviewer who has not submitted
    their own feedback reads nothing of the others' ("sealed until you submit yours"). Before it opens: 403
    "sealed until the debrief" for insiders, NotFound for everyone else."""
    row = _loop_row(actor, loop_id)
    _policy.require_debrief_readable(actor, row)
    every = _interviews_of([row.id]).get(row.id, [])
    interviews = [i for i in every if not i.cancelled]
    feedback = {f.interview_id: f for f in FeedbackRow.objects.filter(interview__in=interviews)}
    evidence = _evidence_of([f.id for f in feedback.values() if f.submitted_at])
    changed = list(row.debrief_votes.order_by("at", "id"))
    people = _people({i.interviewer_id for i in interviews} | {v.person_id for v in changed} | {row.bar_raiser_id})
    submitted = [i for i in interviews if i.id in feedback and feedback[i.id].submitted_at]
    loop = _to_loop(row, every, _names([row], interviews))
    return DebriefRecord(
        loop=loop,
        votes=tuple(
            WrittenVote(
                interview_id=i.id,
                interviewer_id=i.interviewer_id,
                interviewer_handle=_handle(people, i.interviewer_id),
                vote=Vote(feedback[i.id].vote),
                minutes_to_submit=feedback[i.id].minutes_to_submit,
            )
            for i in submitted
        ),
        feedback=tuple(_to_feedback(i, feedback[i.id], people, evidence.get(feedback[i.id].id, [])) for i in submitted),
        changed_votes=tuple(
            DebriefVoteRecord(v.id, v.person_id, _handle(people, v.person_id), Vote(v.vote), v.reason, v.at)
            for v in changed
        ),
        missing=tuple(_handle(people, i.interviewer_id) for i in interviews if i not in submitted),
        recommendation=row.recommendation,
        recommendation_reasoning=row.recommendation_reasoning,
        vetoed=row.vetoed,
        decision=Decision(row.decision) if row.decision else None,
        decision_rationale=row.decision_rationale,
    )


def change_vote(*, actor: Actor, loop_id: int, vote: Vote | str, reason: str) -> DebriefVoteRecord:
    """Change one's vote in the debrief (MECHANISMS.md §5): a new entry with a required reason; the submitted
    feedback's vote is never touched. An interviewer who submitted feedback, while the debrief is open and
    undecided. Raises NotFound, PermissionDenied, RuleViolation naming the field."""
    row = _loop_row(actor, loop_id)
    _policy.require_debrief_readable(actor, row)
    if row.state != L.DEBRIEF.value:
        raise RuleViolation(f"the loop is {row.state}; votes change only during the debrief", field="state")
    mine = InterviewRow.objects.filter(
        loop=row, interviewer_id=actor.person_id or -1, cancelled=False, feedback__submitted_at__isnull=False
    ).exists()
    if not mine:
        raise PermissionDenied("only an interviewer who submitted feedback may change their vote", field="vote")
    value = _vote(vote, required=True)
    text = _text(reason, "reason", 5000)
    with transaction.atomic():
        entry = DebriefVoteRow.objects.create(
            loop=row, person_id=actor.person_id, vote=value, reason=text, at=clock.now()
        )
        _event(row, actor, "change_vote", row.state, row.state, "")
        audit_services.record_change(
            actor=actor,
            verb="change_vote",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            after={"vote": value, "reason": text},
            reason=text,
        )
    people = _people({actor.person_id})
    return DebriefVoteRecord(entry.id, entry.person_id, _handle(people, entry.person_id), Vote(value), text, entry.at)


def recommend_on_loop(
    *, actor: Actor, loop_id: int, recommendation: Recommendation | str, reasoning: str
) -> LoopRecord:
    """The bar raiser's recommendation at the debrief (MECHANISMS.md §4-§5): approve, approve with concerns or do
    not proceed, with written reasoning, recorded on the loop's bar-raiser review. A do-not-proceed is a veto: it
    is recorded on the loop and blocks an offer. The loop's bar raiser, while the debrief is open. Raises NotFound,
    PermissionDenied, RuleViolation, Conflict."""
    row = _loop_row(actor, loop_id)
    if LoopParty.BAR_RAISER.value not in _policy.loop_roles(actor, row):
        raise PermissionDenied("only the loop's bar raiser may recommend", field="recommendation")
    if row.state != L.DEBRIEF.value:
        raise RuleViolation(f"the loop is {row.state}; the bar raiser recommends at the debrief", field="state")
    value = recommendation.value if isinstance(recommendation, Recommendation) else recommendation
    if value not in {r.value for r in Recommendation}:
        raise RuleViolation(
            f"recommendation must be one of {', '.join(r.value for r in Recommendation)}", field="recommendation"
        )
    text = _text(reasoning, "reasoning", TEXT_MAX)
    review = _review(actor, row)
    version = row.version
    before = _loop_audit(_to_loop(row))
    with transaction.atomic():
        with _through_the_loop():
            bar_raisers_services.recommend(
                actor=actor, review_id=review.id, version=review.version, recommendation=value, reasoning=text
            )
        vetoed = value == Recommendation.DO_NOT_PROCEED.value
        _cas(row, version, {"recommendation": value, "recommendation_reasoning": text, "vetoed": vetoed})
        _event(row, actor, "veto" if vetoed else "recommend", row.state, row.state, value)
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor,
            verb="recommend",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            before=before,
            after=_loop_audit(loop),
        )
        words = "vetoed (do not proceed)" if vetoed else "recommended"
        _notify(actor, row, "recommended", f"{loop.title}: the bar raiser {words}", _insiders(row))
    return loop


def decide(*, actor: Actor, loop_id: int, decision: Decision | str, rationale: str, version: int) -> LoopRecord:
    """The hiring manager's decision after the bar raiser's recommendation (MECHANISMS.md §4-§5), with a rationale.
    A hire is refused under a veto (do not proceed). A decision agreeing with the recommendation accepts the review;
    a no-hire against an approval is an override there, and the hiring manager's management chain is told. The
    candidate moves to offer or rejected. A human makes the call: nothing here scores candidates."""
    value = decision.value if isinstance(decision, Decision) else decision
    return _move("decide", actor, loop_id, version, decision=value, rationale=rationale)


# ---------------------------------------------------------------------------------------------- bar-raisers kind


def describe_loop(actor: Actor, loop_id: int) -> Subject:
    """The loop as a bar-raiser review subject, for an actor who may see it (NotFound otherwise): its title names
    the opening and loop number only; the owner is the hiring manager; the owning team is the opening's; the
    recruiter is excluded."""
    return _subject(_loop_row(actor, loop_id))


def visible_loop_ids(actor: Actor, ids: frozenset[int]) -> frozenset[int]:
    """Which of these loops the actor may see (their insiders): also who may read the loop's reviews."""
    if not actor.is_authenticated or not ids:
        return frozenset()
    qs = _policy.visible_to(actor, LoopRow.objects.filter(pk__in=sorted(ids)))
    return frozenset(qs.values_list("pk", flat=True))


def recommendation_hold(loop_id: int) -> str | None:
    """Why the bar raiser may not recommend now: only from the loop's debrief (so the veto is recorded on the loop),
    once it is open. None when they may."""
    if not _LOOP_MOVE.get():
        return "the bar raiser recommends on a loop from its debrief (hiring), where a veto is recorded on the loop"
    state = LoopRow.objects.filter(pk=loop_id).values_list("state", flat=True).first()
    if state == L.DEBRIEF.value:
        return None
    if state in (L.PLANNING.value, L.INTERVIEWING.value):
        return "the recommendation waits for the debrief: it opens when all feedback is in"
    return f"the loop is {state}"


def review_response(actor: Actor, review: Any) -> None:
    """The bar-raisers app's call inside an accept, override or withdrawal of a loop's review: only the loop's own
    moves answer it (its decision, its withdrawal, a change of bar raiser), so the loop and its review never
    disagree (an accept through the review's own door would skip the override a no-hire against an approval is)."""
    if not _LOOP_MOVE.get():
        raise RuleViolation(
            "a loop's bar-raiser review is answered by the loop itself: decide, withdraw or change its bar raiser",
            field="response",
        )


def acts_for_hiring_manager(actor: Actor, loop_id: int) -> bool:
    """Whether a recruiter may answer the loop's review for the hiring manager (its owner): only inside the loop's
    own moves that recruiters may take (withdrawing the loop, changing its bar raiser), never through the review's
    own door and never for a decision (the hiring manager's alone)."""
    if not _LOOP_MOVE.get():
        return False
    row = LoopRow.objects.select_related("opening").filter(pk=loop_id).first()
    return row is not None and LoopParty.RECRUITER.value in _policy.loop_roles(actor, row)


# Set while a loop's own move calls the bar-raisers app (recommend, accept, override, withdraw of its review).
_LOOP_MOVE: contextvars.ContextVar[bool] = contextvars.ContextVar("hiring_loop_move", default=False)


@contextlib.contextmanager
def _through_the_loop():
    token = _LOOP_MOVE.set(True)
    try:
        yield
    finally:
        _LOOP_MOVE.reset(token)


# ---------------------------------------------------------------------------------------------- loops: private


def _loop_row(actor: Actor, loop_id: Any) -> LoopRow:
    org_services.require_signed_in(actor)
    row = None
    if isinstance(loop_id, int) and 0 < loop_id < 2**63:
        ids = _policy.visible_to(actor, LoopRow.objects.filter(pk=loop_id)).values("pk")
        row = LoopRow.objects.select_related("opening", "candidate").filter(pk__in=ids).first()
    if row is None:
        raise NotFound(f"loop {loop_id} does not exist", field="loop_id")
    return row


def _interview_row(actor: Actor, interview_id: Any, *, own_ok: bool = False) -> InterviewRow:
    """An interview of a loop the actor is an insider of (or, with `own_ok`, their own interview even when it was
    cancelled: an interviewer always reads their own feedback). NotFound otherwise."""
    org_services.require_signed_in(actor)
    row = None
    if isinstance(interview_id, int) and 0 < interview_id < 2**63:
        row = (
            InterviewRow.objects.select_related("loop", "loop__opening", "loop__candidate")
            .filter(pk=interview_id)
            .first()
        )
    if row is not None and not (own_ok and actor.person_id is not None and row.interviewer_id == actor.person_id):
        visible = _policy.visible_to(actor, LoopRow.objects.filter(pk=row.loop_id)).exists()
        row = row if visible else None
    if row is None:
        raise NotFound(f"interview {interview_id} does not exist", field="interview_id")
    return row


def _require_planner(actor: Actor, row: LoopRow, what: str) -> None:
    _policy.require(actor, "plan_loop", row.opening, what=what)


def _require_plannable(row: LoopRow) -> None:
    if row.state not in PLANNABLE:
        raise RuleViolation(f"the loop is {row.state}; interviews change only before the debrief", field="state")


def _require_not_submitted(interview: InterviewRow) -> None:
    if FeedbackRow.objects.filter(interview_id=interview.id, submitted_at__isnull=False).exists():
        raise RuleViolation(
            "the feedback on this interview is submitted; the interview stays as it was", field="feedback"
        )


def _require_version(row: LoopRow, version: int) -> None:
    if row.version != version:
        raise _stale("loop", row.id, version, row.version)


def _stale(noun: str, pk: int, expected: int, current: int) -> Conflict:
    return Conflict(
        f"{noun} {pk} was changed by someone else (you read version {expected}, it is now {current}); reload and "
        "try again",
        field="version",
        details={"field": "version", "expected": expected, "current": current},
    )


def _cas(row: LoopRow, version: int, changes: dict[str, Any]) -> None:
    if not machine_apply.compare_and_set(row, expected_version=version, changes=changes):
        raise _stale("loop", row.id, version, version + 1)


def _recruiter_refusal() -> RuleViolation:
    return RuleViolation(
        "the recruiter may never be the loop's bar raiser",
        field="bar_raiser_id",
        details={"field": "bar_raiser_id", "rule": "recruiter-not-bar-raiser"},
    )


def _problem_error(problem: Problem) -> RuleViolation:
    return RuleViolation(
        f"{problem.rule}: {problem.message}",
        field=problem.field,
        details={"field": problem.field, "rule": problem.rule},
    )


def _active_person(actor: Actor, person_id: Any):
    person = None
    if isinstance(person_id, int) and 0 < person_id < 2**63:
        person = org_services.get_people(actor=Actor.system("hiring"), ids=[person_id]).get(person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field="interviewer_id")
    if not person.active:
        raise RuleViolation(f"{person.handle} is not active", field="interviewer_id")
    return person


def _interview_values(opening: OpeningRow, starts_at: Any, ends_at: Any, principles: Any) -> dict[str, Any]:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            raise RuleViolation(f"{name} must be a date and time with its time zone", field=name)
    if ends_at <= starts_at:
        raise RuleViolation(
            "the interview must end after it starts",
            field="ends_at",
            details={"field": "ends_at", "rule": "interview-times"},
        )
    if isinstance(principles, str) or not all(isinstance(p, str) for p in principles or ()):
        raise RuleViolation("principles must be a list of principle slugs", field="principles")
    chosen = list(dict.fromkeys(principles))
    if not 1 <= len(chosen) <= rules.MAX_PRINCIPLES_PER_INTERVIEW or len(chosen) != len(principles):
        raise RuleViolation(
            "an interview assesses one or two different principles",
            field="principles",
            details={"field": "principles", "rule": "principles-per-interview"},
        )
    unknown = [p for p in chosen if p not in opening.principles]
    if unknown:
        raise RuleViolation(
            f"{unknown[0]} is not one of the opening's principles ({', '.join(opening.principles)})",
            field="principles",
            details={"field": "principles", "rule": "principle-not-in-opening"},
        )
    return {"starts_at": starts_at, "ends_at": ends_at, "principles": chosen}


def _keep_rules_once_started(actor: Actor, row: LoopRow, *, cancelling: bool = False) -> None:
    """After a change to a started loop's interviews (inside its transaction): every loop rule must still hold. A
    cancellation (an interviewer fell ill) only has to leave every chosen principle assessed: the debrief may
    then hear one principle from everyone left, which the start's spreading rule would refuse."""
    if row.state != L.INTERVIEWING.value:
        return
    ctx = _LoopContext(actor, row)
    if cancelling:
        facts = ctx.rule_facts()
        problems = rules.unassessed_problems(facts.opening_principles, facts.interviews)
    else:
        problems = [p for p in ctx.problems() if not p.rule.startswith("bar-raiser")]
    if problems:
        raise _problem_error(problems[0])


class _LoopContext:
    """What one operation on a loop reads about it, each once: its interviews, the submitted feedback count, the
    actor's parties, the loop rules' facts (the bar raiser's eligibility from the bar-raisers app)."""

    def __init__(self, actor: Actor, row: LoopRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now = clock.now()
        self._interviews: list[InterviewRow] | None = None
        self._submitted: set[int] | None = None
        self._parties: frozenset[str] | None = None
        self._problems: list[Problem] | None = None

    def interviews(self) -> list[InterviewRow]:
        if self._interviews is None:
            self._interviews = list(InterviewRow.objects.filter(loop_id=self.row.pk).order_by("starts_at", "id"))
        return self._interviews

    def live(self) -> list[InterviewRow]:
        return [i for i in self.interviews() if not i.cancelled]

    def submitted(self) -> set[int]:
        if self._submitted is None:
            self._submitted = set(
                FeedbackRow.objects.filter(interview__loop_id=self.row.pk, submitted_at__isnull=False).values_list(
                    "interview_id", flat=True
                )
            )
        return self._submitted

    def missing_feedback(self) -> int:
        return sum(1 for i in self.live() if i.id not in self.submitted())

    def parties(self) -> frozenset[str]:
        if self._parties is None:
            self._parties = _policy.loop_roles(self.actor, self.row)
        return self._parties

    def rule_facts(self) -> rules.LoopFacts:
        row, opening = self.row, self.row.opening
        live = self.live()
        people = _people({i.interviewer_id for i in live})
        problem, rule = None, "bar-raiser-independent"
        if row.bar_raiser_id is not None:
            try:
                bar_raisers_services.require_eligible(
                    actor=Actor.system("hiring"), person_id=row.bar_raiser_id, subject=_subject(row)
                )
            except RuleViolation as refused:
                problem = refused.message
                if (refused.details or {}).get("rule") != "independence":
                    rule = "bar-raiser-eligible"
        return rules.LoopFacts(
            opening_state=opening.state,
            job_description=_jd_text(opening),
            opening_principles=tuple(opening.principles),
            interviews=tuple(
                rules.InterviewFacts(
                    i.interviewer_id, i.starts_at, i.ends_at, tuple(i.principles), _handle(people, i.interviewer_id)
                )
                for i in live
            ),
            bar_raiser_id=row.bar_raiser_id,
            bar_raiser_problem=problem,
            bar_raiser_problem_rule=rule,
            recruiter_ids=frozenset({opening.recruiter_id} - {None}),
            manager_role=opening.manager_role,
            would_be_reports=would_be_reports(opening),
        )

    def problems(self) -> list[Problem]:
        # Once per operation: the machine's guard and the loop page both ask, and the bar raiser's eligibility
        # costs the bar-raisers app a few queries each time.
        if self._problems is None:
            self._problems = rules.loop_problems(self.rule_facts())
        return self._problems


def _facts(ctx: _LoopContext) -> LoopMachineFacts:
    row = ctx.row
    return LoopMachineFacts(
        state=row.state,
        problems=tuple(ctx.problems()) if row.state == L.PLANNING.value else (),
        missing_feedback=ctx.missing_feedback() if row.state == L.INTERVIEWING.value else 0,
        submitted_feedback=len(ctx.submitted()) if row.state == L.INTERVIEWING.value else 0,
        recommendation=row.recommendation,
        vetoed=row.vetoed or row.recommendation == Recommendation.DO_NOT_PROCEED.value,
    )


def _snapshot(ctx: _LoopContext) -> dict[str, Any]:
    return _loop_audit(_to_loop(ctx.row, ctx.interviews()))


def _record(step: machine_apply.Step) -> LoopRecord:
    """After the compare-and-set, in the same transaction: the timeline, the audit record, the review's response,
    the candidate's state, the feedback deadlines and the notices."""
    ctx: _LoopContext = step.context
    row, t, actor = ctx.row, step.transition, ctx.actor
    _event(
        row, actor, t.name, step.from_state, step.to_state, step.note if t.name != "decide" else step.values["decision"]
    )
    if t.name == "start":
        for interview in ctx.live():
            _track_feedback(actor, row, interview)
    elif t.name == "decide":
        _respond_to_review(actor, row, step.values["decision"], step.values["rationale"])
        state = CandidateState.OFFER if step.to_state == L.OFFER.value else CandidateState.REJECTED
        set_candidate_state(actor=actor, candidate_id=row.candidate.pk, state=state)
    elif t.name == "withdraw":
        review = _review(actor, row, required=False)
        if review is not None and review.state.value in ("requested", "recommended"):
            with _through_the_loop():
                bar_raisers_services.withdraw_review(
                    actor=actor, review_id=review.id, version=review.version, reason="the loop was withdrawn"
                )
        for interview in ctx.live():
            notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
        set_candidate_state(actor=actor, candidate_id=row.candidate.pk, state=CandidateState.WITHDRAWN)
    loop = _to_loop(row, ctx.interviews())
    audit_services.record_change(
        actor=actor,
        verb=t.name,
        subject_type=LOOP_SUBJECT,
        subject_id=row.id,
        before=step.before,
        after=_loop_audit(loop),
        reason=step.note,
    )
    words = t.words_for(t.notice, step.to_state) or t.name.replace("_", " ")
    _notify(actor, row, t.name, words.format(title=loop.title), _insiders(row, ctx.live()))
    return loop


_BINDING = machine_apply.Binding(
    machine=LOOP,
    load=_LoopContext,
    facts=_facts,
    parties=lambda ctx: ctx.parties(),
    snapshot=_snapshot,
    record=_record,
)


def _respond_to_review(actor: Actor, row: LoopRow, decision: str, rationale: str) -> None:
    """A decision agreeing with the recommendation accepts the loop's review; a no-hire against an approval is an
    override (MECHANISMS.md §4: recorded with its rationale, the hiring manager's chain is told by bar_raisers). A
    hire against a do-not-proceed never gets here: the veto refuses it."""
    review = _review(actor, row)
    if review.state.value != "recommended":
        return  # answered already (a repeated call), or withdrawn: nothing to respond to
    inclined = review.recommendation in (Recommendation.APPROVE, Recommendation.APPROVE_WITH_CONCERNS)
    if decision == Decision.NO_HIRE.value and inclined:
        with _through_the_loop():
            bar_raisers_services.override_review(
                actor=actor, review_id=review.id, version=review.version, rationale=rationale
            )
    else:
        with _through_the_loop():
            bar_raisers_services.accept_review(actor=actor, review_id=review.id, version=review.version)


def _review(actor: Actor, row: LoopRow, *, required: bool = True):
    review = bar_raisers_services.review_for(actor=actor, subject_kind=SubjectKind.HIRING_LOOP, subject_id=row.id)
    if review is None and required:
        raise RuleViolation("this loop has no bar-raiser review", field="bar_raiser_id")
    return review


def _open_debrief_when_all_in(actor: Actor, loop_id: int) -> None:
    """The debrief opens by itself when the last outstanding feedback of an interviewing loop is in (MECHANISMS.md
    §5), inside the caller's transaction."""
    row = LoopRow.objects.select_related("opening", "candidate").get(pk=loop_id)
    if row.state != L.INTERVIEWING.value:
        return
    ctx = _LoopContext(actor, row)
    if not ctx.live() or ctx.missing_feedback():
        return
    machine_apply.write(
        _BINDING,
        actor=actor,
        row=row,
        transition=LOOP.transition("open_debrief"),
        to_state=L.DEBRIEF.value,
        changes={"debrief_opened_at": clock.now(), "debrief_opened_early": False, "debrief_open_reason": ""},
        note="all feedback is in",
    )


def _write_feedback(
    actor: Actor, interview_id: int, vote: Any, summary: Any, evidence: Sequence[EvidenceInput], *, submit: bool
) -> FeedbackRecord:
    interview = _interview_row(actor, interview_id, own_ok=True)
    row = interview.loop
    if interview.interviewer_id != actor.person_id:
        raise PermissionDenied("only the interviewer writes their feedback", field="interview_id")
    if interview.cancelled:
        raise RuleViolation("this interview was cancelled", field="interview_id")
    if row.state not in WRITABLE:
        raise RuleViolation(
            f"the loop is {row.state}; feedback is written once the loop has started and before its decision",
            field="state",
        )
    existing = FeedbackRow.objects.filter(interview_id=interview.id).first()
    if existing is not None and existing.submitted_at is not None:
        raise _immutable()
    now = clock.now()
    if submit and now < interview.starts_at:
        raise RuleViolation("the interview has not started yet; feedback is written after it", field="interview")
    value = _vote(vote, required=False)
    text = _text(summary, "summary", TEXT_MAX, required=False)
    items = _clean_evidence(evidence)
    problems = rules.feedback_problems(
        principles=tuple(interview.principles), vote=value or None, evidence=items, complete=submit
    )
    if problems:
        first = problems[0]
        raise RuleViolation(
            first.message,
            field=first.field,
            details={
                "field": first.field,
                "rule": first.rule,
                "problems": [{"rule": p.rule, "field": p.field, "message": p.message} for p in problems],
            },
        )
    with transaction.atomic():
        if existing is None:
            existing = FeedbackRow.objects.create(interview=interview, started_at=now)
        changes: dict[str, Any] = {"vote": value, "summary": text}
        if submit:
            changes.update(submitted_at=now, minutes_to_submit=rules.minutes_between(interview.ends_at, now))
        # Compare-and-set on "not submitted": a concurrent submission wins and this write changes nothing.
        if not FeedbackRow.objects.filter(pk=existing.pk, submitted_at__isnull=True).update(**changes):
            raise _immutable()
        for key, v in changes.items():
            setattr(existing, key, v)
        EvidenceRow.objects.filter(feedback=existing).delete()
        EvidenceRow.objects.bulk_create(
            EvidenceRow(
                feedback=existing,
                principle=e.principle,
                situation=e.situation,
                task=e.task,
                action=e.action,
                result=e.result,
                rating=e.rating,
            )
            for e in items
        )
        audit_services.record_change(
            actor=actor,
            verb="submit" if submit else "save",
            subject_type=FEEDBACK_SUBJECT,
            subject_id=interview.id,
            after={"vote": value, "summary": text, "evidence": [e.principle for e in items]},
        )
        if submit:
            notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
            _open_debrief_when_all_in(actor, row.pk)
    return _to_feedback(interview, existing, _people({interview.interviewer_id}), list(existing.evidence.all()))


def _immutable() -> RuleViolation:
    return RuleViolation(
        "submitted feedback never changes; a changed vote is a new entry at the debrief",
        field="feedback",
        details={"field": "feedback", "rule": "immutable"},
    )


def _vote(value: Any, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise RuleViolation("a vote is required (there is no neutral)", field="vote")
        return ""
    text = value.value if isinstance(value, Vote) else value
    if text not in {v.value for v in Vote}:
        raise RuleViolation(
            "the vote is strong_hire, hire, no_hire or strong_no_hire (there is no neutral)", field="vote"
        )
    return text


def _clean_evidence(evidence: Any) -> list[EvidenceInput]:
    if isinstance(evidence, str | bytes) or not isinstance(evidence, Sequence):
        raise RuleViolation("evidence must be a list, one entry per assigned principle", field="evidence")
    cleaned = []
    for n, item in enumerate(evidence):
        if not isinstance(item, EvidenceInput):
            raise RuleViolation("each evidence entry names a principle and its STAR parts", field=f"evidence[{n}]")
        if item.rating is not None and (isinstance(item.rating, bool) or not isinstance(item.rating, int)):
            raise RuleViolation("a rating is 1, 2, 3 or 4", field=f"evidence[{n}].rating")
        parts = {
            part: _text(getattr(item, part), f"evidence[{n}].{part}", TEXT_MAX, required=False) for part in rules.STAR
        }
        principle = _text(item.principle, f"evidence[{n}].principle", 64)
        cleaned.append(EvidenceInput(principle=principle, rating=item.rating, **parts))
    return cleaned


def _track_feedback(actor: Actor, row: LoopRow, interview: InterviewRow, *, fresh: bool = False) -> None:
    """Feedback is due MECH_FEEDBACK_DUE_HOURS after the interview ends; the interviewer is reminded, and late
    feedback climbs their management chain (notifications' deadlines helper; `feedback_still_due` ends it)."""
    escalate = feedback_escalate_hours()
    notifications_services.track_deadline(
        actor=actor,
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
        due_at=interview.ends_at + dt.timedelta(hours=feedback_due_hours()),
        owner_ids={interview.interviewer_id},
        title=f"Your feedback for {_title(row)}",
        kind="hiring_feedback.overdue",
        url=f"/hiring/interviews/{interview.id}/feedback",
        remind_every=dt.timedelta(hours=24),
        escalate_after=dt.timedelta(hours=escalate) if escalate > 0 else None,
        escalate_from_id=interview.interviewer_id,
        fresh=fresh,
    )


def _subject(row: LoopRow) -> Subject:
    opening = row.opening
    return Subject(
        kind=SubjectKind.HIRING_LOOP,
        id=row.id,
        title=_title(row),
        owner_id=opening.hiring_manager_id,
        team_ids=(opening.team_id,),
        excluded_ids=tuple(i for i in (opening.recruiter_id,) if i is not None),
        url=f"/hiring/loops/{row.id}",
    )


def _title(row: LoopRow, teams: Mapping[int, str] | None = None) -> str:
    """ "Loop #12 for Senior SDE (payments)": the opening and the loop number, never the candidate."""
    opening = row.opening
    slugs = teams if teams is not None else _team_slugs({opening.team_id})
    return f"Loop #{row.id} for {opening.title} ({slugs.get(opening.team_id, opening.team_id)})"[:200]


def _team_slugs(team_ids: Iterable[int]) -> dict[int, str]:
    teams = org_services.get_teams(actor=Actor.system("hiring"), ids=set(team_ids))
    return {t.id: t.slug for t in teams.values()}


def _people(ids: Iterable[int | None]) -> dict:
    wanted = {i for i in ids if i is not None}
    return org_services.get_people(actor=Actor.system("hiring"), ids=wanted) if wanted else {}


def _handle(people: Mapping, person_id: int | None) -> str:
    person = people.get(person_id)
    return person.handle if person is not None else ("" if person_id is None else str(person_id))


def _insiders(row: LoopRow, live: Iterable[InterviewRow] | None = None) -> set[int]:
    """The loop's insiders to tell of a move: hiring manager, named recruiter, bar raiser, interviewers."""
    if live is None:
        live = InterviewRow.objects.filter(loop=row, cancelled=False)
    people = {row.opening.hiring_manager_id, row.opening.recruiter_id, row.bar_raiser_id}
    return {p for p in people | {i.interviewer_id for i in live} if p is not None}


def _notify(
    actor: Actor, row: LoopRow, what: str, title: str, recipients: Iterable[int | None], *, kind: str | None = None
) -> None:
    """Tell insiders about a loop. The title names the opening and loop number; the body never carries candidate
    contact, feedback text, votes or ratings (docs/hiring.md): the link shows the rest behind the policy."""
    notifications_services.notify(
        actor=actor,
        recipients=[r for r in recipients if r is not None],
        kind=kind or f"hiring_loop.{what}",
        title=title[:200],
        body="Open the loop for the details you may see.",
        url=f"/hiring/loops/{row.id}",
        subject_type=LOOP_SUBJECT,
        subject_id=row.id,
    )


def _notify_interviewer(actor: Actor, row: LoopRow, interview: InterviewRow, what: str, words: str) -> None:
    when = interview.starts_at.isoformat(timespec="minutes")
    notifications_services.notify(
        actor=actor,
        recipients=[interview.interviewer_id],
        kind=f"hiring_interview.{what}",
        title=f"{words.capitalize()} {_title(row)}"[:200] if what != "changed" else f"{_title(row)}: {words}"[:200],
        body=f"Starts {when}; principles: {', '.join(interview.principles)}.",
        url="/hiring/me/interviews",
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
    )


def _event(row: LoopRow, actor: Actor, transition: str, from_state: str, to_state: str, note: str) -> None:
    LoopEventRow.objects.create(
        loop=row,
        at=clock.now(),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.person_id,
        actor_label=actor.label[:200],
        note=note or "",
    )


def _interview_audit(
    actor: Actor, verb: str, interview: InterviewRow, *, before: dict[str, Any] | None, reason: str = ""
) -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
        before=before,
        after=_interview_view(interview),
        reason=reason,
    )


def _interview_view(interview: InterviewRow) -> dict[str, Any]:
    return {
        "loop_id": interview.loop_id,
        "interviewer_id": interview.interviewer_id,
        "starts_at": interview.starts_at.isoformat(),
        "ends_at": interview.ends_at.isoformat(),
        "principles": list(interview.principles),
        "cancelled": interview.cancelled,
    }


def _loop_audit(loop: LoopRecord) -> dict[str, Any]:
    return {
        "state": loop.state.value,
        "bar_raiser_id": loop.bar_raiser_id,
        "debrief_opened_at": loop.debrief_opened_at.isoformat() if loop.debrief_opened_at else None,
        "debrief_open_reason": loop.debrief_open_reason,
        "recommendation": loop.recommendation,
        "vetoed": loop.vetoed,
        "decision": loop.decision.value if loop.decision else None,
        "decision_rationale": loop.decision_rationale,
        "version": loop.version,
    }


def _interviews_of(loop_ids: Iterable[int]) -> dict[int, list[InterviewRow]]:
    found: dict[int, list[InterviewRow]] = {}
    for i in InterviewRow.objects.filter(loop_id__in=list(loop_ids)).order_by("starts_at", "id"):
        found.setdefault(i.loop_id, []).append(i)
    return found


def _evidence_of(feedback_ids: Iterable[int]) -> dict[int, list[EvidenceRow]]:
    found: dict[int, list[EvidenceRow]] = {}
    for e in EvidenceRow.objects.filter(feedback_id__in=list(feedback_ids)).order_by("id"):
        found.setdefault(e.feedback_id, []).append(e)
    return found


def _names(rows: Sequence[LoopRow], interviews: Sequence[InterviewRow]) -> dict[str, dict]:
    people = _people({i.interviewer_id for i in interviews} | {r.bar_raiser_id for r in rows})
    return {"people": people, "teams": _team_slugs({r.opening.team_id for r in rows})}


def _to_interview(
    row: InterviewRow, people: Mapping | None = None, submitted: Mapping[int, dt.datetime] | None = None
) -> InterviewRecord:
    people = people if people is not None else _people({row.interviewer_id})
    if submitted is None:
        submitted = dict(
            FeedbackRow.objects.filter(interview_id=row.id, submitted_at__isnull=False).values_list(
                "interview_id", "submitted_at"
            )
        )
    person = people.get(row.interviewer_id)
    return InterviewRecord(
        id=row.id,
        loop_id=row.loop_id,
        interviewer_id=row.interviewer_id,
        interviewer_handle=person.handle if person else str(row.interviewer_id),
        interviewer_name=person.name if person else "",
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        principles=tuple(row.principles),
        cancelled=row.cancelled,
        submitted_at=submitted.get(row.id),
        version=row.version,
    )


def _submitted_at(interview_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each of these interviews' feedback was submitted (the submitted ones only): one query."""
    if not interview_ids:
        return {}
    rows = FeedbackRow.objects.filter(interview_id__in=list(interview_ids), submitted_at__isnull=False)
    return dict(rows.values_list("interview_id", "submitted_at"))


def _to_loop(
    row: LoopRow,
    interviews: Sequence[InterviewRow] | None = None,
    names: dict[str, dict] | None = None,
    submitted: Mapping[int, dt.datetime] | None = None,
) -> LoopRecord:
    if interviews is None:
        interviews = list(InterviewRow.objects.filter(loop_id=row.pk).order_by("starts_at", "id"))
    names = names if names is not None else _names([row], interviews)
    people = names["people"]
    if submitted is None:
        submitted = _submitted_at([i.id for i in interviews])
    opening = row.opening
    return LoopRecord(
        id=row.id,
        title=_title(row, names["teams"]),
        opening_id=opening.id,
        opening_title=opening.title,
        candidate_id=row.candidate_id,
        candidate_name=row.candidate.name,
        team_id=opening.team_id,
        hiring_manager_id=opening.hiring_manager_id,
        recruiter_id=opening.recruiter_id,
        state=L(row.state),
        bar_raiser_id=row.bar_raiser_id,
        bar_raiser_handle=_handle(people, row.bar_raiser_id),
        debrief_opened_at=row.debrief_opened_at,
        debrief_opened_early=row.debrief_opened_early,
        debrief_open_reason=row.debrief_open_reason,
        recommendation=row.recommendation,
        vetoed=row.vetoed,
        decision=Decision(row.decision) if row.decision else None,
        decision_rationale=row.decision_rationale,
        decided_at=row.decided_at,
        interviews=tuple(_to_interview(i, people, submitted) for i in interviews),
        created_at=row.created_at,
        version=row.version,
    )


def _to_feedback(
    interview: InterviewRow,
    fb: FeedbackRow | None,
    people: Mapping,
    evidence: Sequence[EvidenceRow] | None = None,
) -> FeedbackRecord:
    if fb is not None and evidence is None:
        evidence = list(fb.evidence.order_by("id"))
    return FeedbackRecord(
        interview_id=interview.id,
        loop_id=interview.loop_id,
        interviewer_id=interview.interviewer_id,
        interviewer_handle=_handle(people, interview.interviewer_id),
        principles=tuple(interview.principles),
        vote=Vote(fb.vote) if fb is not None and fb.vote else None,
        summary=fb.summary if fb is not None else "",
        evidence=tuple(
            EvidenceRecord(e.principle, e.situation, e.task, e.action, e.result, e.rating) for e in evidence or ()
        ),
        started_at=fb.started_at if fb is not None else None,
        submitted_at=fb.submitted_at if fb is not None else None,
        minutes_to_submit=fb.minutes_to_submit if fb is not None else None,
    )
