"""Public services of the hiring app (MECHANISMS.md §5): leadership principles, job openings, candidates and their
résumés, erasure, the mechanism-health figures; then (below the `# --- loops` banner) loops, interviews, sealed
feedback, the debrief and the decision.

Who sees and does what is decided only in `policy.py` (docs/hiring.md "Who sees what"): openings are an internal
job posting for every signed-in person; candidates are for their insiders (interviewers, the bar raiser, the
hiring manager, the opening's recruiters) and a NotFound for everyone else, admins included. Every write is one
transaction with its audit record; a candidate's history is erasable (sealed under the candidate's key).
"""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.errors import Conflict, NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

from . import policy as _policy
from .contracts import (
    CandidateChanges,
    CandidateRecord,
    CandidateState,
    HealthReport,
    OpeningChanges,
    OpeningRecord,
    OpeningState,
    PrincipleRecord,
    ResumeFile,
    Source,
)
from .history import CANDIDATE as CANDIDATE_TYPE
from .history import OPENING as OPENING_TYPE
from .history import PRINCIPLE as PRINCIPLE_TYPE
from .machines import FILL, JOB_DESCRIPTION_MIN, OPENING, OpeningFacts
from .models import Candidate as CandidateRow
from .models import DebriefVote as DebriefVoteRow
from .models import Evidence as EvidenceRow
from .models import Feedback as FeedbackRow
from .models import Loop as LoopRow
from .models import LoopEvent as LoopEventRow
from .models import Opening as OpeningRow
from .models import Principle as PrincipleRow

OPENING_MACHINE = OPENING
PRODUCT = Actor.system("hiring")  # the product's own reads of org (names, team members) to compute with
TITLE_MAX, LEVEL_MAX, JD_MAX, NAME_MAX = 200, 32, 20_000, 200
MAX_PRINCIPLES = 16
RESUME_KEY_PREFIX = "resumes/"
ERASED_NAME = "Erased candidate #{id}"
OPEN_CANDIDATE_STATES = frozenset({CandidateState.APPLIED.value, CandidateState.IN_LOOP.value})


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
        _compare_and_set(row, version, changes, noun="principle")
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
    with transaction.atomic():
        row = OpeningRow.objects.create(**values)
        record = _to_opening(row)
        _audit(actor, "create", OPENING_TYPE, row.id, row.title, before=None, after=_opening_view(record))
    return record


def update_opening(*, actor: Actor, opening_id: int, changes: OpeningChanges, version: int) -> OpeningRecord:
    """Change an opening's title, hiring manager, recruiter, level, manager role, would-be reports, job
    description or principles (admins, its hiring manager and its recruiters). The same rules as
    `create_opening` hold for each changed field; a closed or filled opening no longer changes. Raises
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
    before = _opening_view(_to_opening(row))
    with transaction.atomic():
        _compare_and_set(row, version, values, noun="opening")
        record = _to_opening(row)
        _audit(actor, "update", OPENING_TYPE, row.id, row.title, before=before, after=_opening_view(record))
    return record


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
    qs = _policy.visible_openings(actor, OpeningRow.objects.all())
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


def _opening_row(actor: Actor, opening_id: Any) -> OpeningRow:
    _policy.require_signed_in(actor)
    row = _policy.visible_openings(actor, OpeningRow.objects.all()).filter(pk=_id(opening_id)).first()
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
        job_description_length=len((row.job_description or "").strip()),
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
        _compare_and_set(row, version, values, noun="candidate")
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
    qs = _policy.visible_candidates(actor, CandidateRow.objects.select_related("opening"))
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
        _compare_and_set(row, version, {}, noun="candidate")  # raises the usual Conflict
    old_key = row.resume_key
    key = default_storage.save(f"{RESUME_KEY_PREFIX}{secrets.token_hex(16)}", ContentFile(content))
    before = _candidate_view(_to_candidate(row))
    try:
        with transaction.atomic():
            _compare_and_set(
                row,
                version,
                {"resume_name": name, "resume_key": key, "resume_type": content_type, "resume_size": len(content)},
                noun="candidate",
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
    """The résumé's content type, recognised from its first bytes: PDF, DOCX (a zip holding `word/`), plain text
    or Markdown (UTF-8 without control characters). RuleViolation naming `resume` for anything else."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            names = []
        if any(n.startswith("word/") for n in names):
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        raise RuleViolation("the résumé is a zip file but not a Word document", field="resume")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleViolation("the résumé must be a PDF, a Word document (DOCX) or plain text", field="resume") from None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        raise RuleViolation("the résumé must be a PDF, a Word document (DOCX) or plain text", field="resume")
    return "text/markdown" if filename.lower().endswith((".md", ".markdown")) else "text/plain"


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
    row = CandidateRow.objects.select_related("opening").filter(pk=_id(candidate_id, "candidate_id")).first()
    if row is None or (not actor.is_admin and not _policy.candidate_roles(actor, row)):
        raise NotFound(f"candidate {candidate_id} does not exist", field="candidate_id")
    _policy.require(actor, "erase_candidate", row, what="erase this candidate")
    reason = _text(reason, "reason", 200)
    if row.erased_at is not None:
        raise RuleViolation(f"candidate {row.id} is erased already", field="candidate_id")
    old_key = row.resume_key
    with transaction.atomic():
        CandidateRow.objects.filter(pk=row.pk).update(
            name=ERASED_NAME.format(id=row.id),
            email="",
            phone="",
            source_detail="",
            resume_name="",
            resume_key="",
            resume_type="",
            resume_size=0,
            erased_at=clock.now(),
            erase_reason=reason,
            version=row.version + 1,
        )
        _blank_loop_text(row.id)
        # erase_subject is an admin's service; the hiring policy has just decided this actor may erase the
        # candidate, and the erasure is recorded under the actor's own name.
        audit_services.erase_subject(
            actor=Actor(user_id=actor.user_id, person_id=actor.person_id, label=actor.label, is_admin=True),
            subject_type=CANDIDATE_TYPE,
            subject_id=row.id,
            reason=reason,
        )
        if old_key:
            transaction.on_commit(lambda: default_storage.delete(old_key))
    row.refresh_from_db()
    return _to_candidate(row)


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


def _candidate_row(actor: Actor, candidate_id: Any) -> CandidateRow:
    """The candidate if the actor is one of their insiders, else NotFound (the same answer as for none)."""
    _policy.require_signed_in(actor)
    row = CandidateRow.objects.select_related("opening").filter(pk=_id(candidate_id, "candidate_id")).first()
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
        _compare_and_set(row, version, {"state": state.value}, noun="candidate")
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
    """Whether a loop's bar raiser was in the pool when the loop was planned and is independent of its hiring
    manager, its team and its recruiter (MECHANISMS.md §4): the health figures' first share. `loop` is the app's
    own row. Independence is judged against today's org chart (the chart's history is not kept)."""
    if loop.bar_raiser_id is None:
        return False
    opening = loop.opening
    person = org_services.get_people(actor=PRODUCT, ids=[loop.bar_raiser_id]).get(loop.bar_raiser_id)
    if person is None or person.bar_raiser_since is None or person.bar_raiser_since > loop.created_at.date():
        return False
    if loop.bar_raiser_id == opening.recruiter_id:
        return False
    return org_services.is_independent(
        actor=PRODUCT,
        person_id=loop.bar_raiser_id,
        team_id=opening.team_id,
        subject_person_ids=[opening.hiring_manager_id],
    )


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


def _compare_and_set(row: Any, version: int, changes: Mapping[str, Any], *, noun: str) -> None:
    if not machine_apply.compare_and_set(row, expected_version=version, changes=changes):
        current = type(row).objects.filter(pk=row.pk).values_list("version", flat=True).first()
        if current is None:
            raise NotFound(f"{noun} {row.pk} no longer exists")
        raise Conflict(
            f"{noun} {row.pk} was changed by someone else (you read version {version}, it is now {current}); "
            "reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": current},
        )


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
        "job_description": o.job_description,
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
    return rows.map(lambda r: _to_opening(r, teams=teams, people=people))


def _to_opening(row: OpeningRow, *, teams: Mapping | None = None, people: Mapping | None = None) -> OpeningRecord:
    if teams is None:
        teams = org_services.get_teams(actor=PRODUCT, ids=[row.team_id])
    if people is None:
        people = org_services.get_people(
            actor=PRODUCT, ids=[p for p in (row.hiring_manager_id, row.recruiter_id) if p is not None]
        )
    team = teams.get(row.team_id)
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
        job_description=row.job_description,
        principles=tuple(row.principles or ()),
        state=OpeningState(row.state),
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        created_at=row.created_at,
        version=row.version,
    )


def _to_candidate(row: CandidateRow) -> CandidateRecord:
    loop_id = LoopRow.objects.filter(candidate_id=row.id).values_list("id", flat=True).first()
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


# --- loops: loops, interviews, feedback, debrief services below
