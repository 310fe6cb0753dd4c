"""Public services of the bar-raisers app (MECHANISMS.md §4): the only way to read or change the pool, to judge a
bar raiser's independence of a subject, and to assign one to a subject of any kind (a hiring loop, a decision, a
waiver). The reviews of subjects follow in the second part of this module.

Every write is one transaction that authorizes against the actor, changes, and records its audit entry; `assign`
and `release` nest inside the caller's transaction (a hiring loop's write) when there is one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, events, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Person, Role

from . import kinds as _kinds
from . import policy as _policy
from . import rules as _rules
from .contracts import (
    EXCLUDED_WORDS,
    OWNER_WORDS,
    AssignmentRecord,
    BarRaiserQueue,
    OverrideRate,
    PoolMemberChanges,
    PoolMemberRecord,
    PoolMemberView,
    PoolRecord,
    QueueItem,
    Recommendation,
    Response,
    ReviewEventRecord,
    ReviewRecord,
    ReviewState,
    ReviewView,
    Subject,
    SubjectKind,
    Suggestion,
)
from .machines import MACHINE as REVIEW_MACHINE
from .machines import REASSIGN, RECOMMENDATION_WORDS, REQUEST, ReviewFacts
from .models import Assignment as AssignmentRow
from .models import PoolMember as PoolMemberRow
from .models import Review as ReviewRow
from .models import ReviewEvent as ReviewEventRow

POOL_SUBJECT_TYPE = "bar_raiser"
ASSIGNMENT_SUBJECT_TYPE = "bar_raiser_assignment"
POOL_VERBS = frozenset({"create", "update", "import"})
ASSIGNMENT_VERBS = frozenset({"assign", "release"})
MAX_CAPACITY = 20
MAX_NOTE = 2000
MAX_REASON = 2000

# =============================================================================================================== POOL


def can_manage_pool(*, actor: Actor) -> bool:
    """Whether the actor may add pool members and change them (admins, company-wide leadership; §4)."""
    return _policy.can(actor, "manage_pool")


def require_pool_manager(*, actor: Actor) -> None:
    """Raise PermissionDenied naming the rule unless the actor may manage the pool (a page refusing a form it never
    offered says the same as the service would)."""
    _policy.require(actor, "manage_pool")


def list_pool(
    *, actor: Actor, active: bool | None = None, limit: int | None = None, offset: int | None = None
) -> Page[PoolMemberRecord]:
    """The bar-raiser pool (MECHANISMS.md §4), each member with their load; ordered by handle. Open to every
    signed-in person. `active` filters on the member taking new assignments (False: the inactive ones)."""
    qs = _policy.visible_to(actor, PoolMemberRow.objects.all())
    if active is not None:
        qs = qs.filter(active=active)
    rows = list(qs)
    people = org_services.get_people(actor=actor, ids={r.person_id for r in rows} | {r.trainer_id for r in rows})
    # Ordered by handle: the ids are not an order a reader understands, and the pool is small (tens of people).
    rows.sort(key=lambda r: (people[r.person_id].handle if r.person_id in people else "", r.person_id))
    counted = _loads([r.person_id for r in rows])
    page = paginate(_ListQuery(rows), limit=limit, offset=offset, convert=lambda r: r)
    return page.map(lambda r: _to_member(r, people, counted))


def get_pool_member(*, actor: Actor, person_id: int) -> PoolMemberRecord:
    """One pool member with their load. Raises NotFound (not in the pool)."""
    member = find_pool_member(actor=actor, person_id=person_id)
    if member is None:
        raise NotFound(f"person {person_id} is not in the bar-raiser pool", field="person_id")
    return member


def find_pool_member(*, actor: Actor, person_id: int) -> PoolMemberRecord | None:
    """One pool member with their load, or None when the person is not in the pool."""
    row = _policy.visible_to(actor, PoolMemberRow.objects.filter(person_id=person_id)).first()
    if row is None:
        return None
    people = org_services.get_people(actor=actor, ids={row.person_id, row.trainer_id})
    return _to_member(row, people, _loads([row.person_id]))


def member_view(*, actor: Actor, person_id: int) -> PoolMemberView:
    """A pool member with their load by kind of subject and what the actor may do with them. Raises NotFound."""
    return PoolMemberView(
        member=get_pool_member(actor=actor, person_id=person_id),
        load_by_kind={k.value: n for k, n in load_by_kind(actor=actor, person_id=person_id).items()},
        can_manage=can_manage_pool(actor=actor),
        can_list_assignments=can_list_assignments(actor=actor, person_id=person_id),
    )


def export_pool(*, actor: Actor) -> tuple[PoolMemberRecord, ...]:
    """Every pool member, active or not, ordered by person id: for the org-and-catalog export and the mandate's
    snapshot of who may approve a waiver."""
    rows = list(_policy.visible_to(actor, PoolMemberRow.objects.order_by("person_id")))
    people = org_services.get_people(actor=actor, ids={r.person_id for r in rows} | {r.trainer_id for r in rows})
    counted = _loads([r.person_id for r in rows])
    return tuple(_to_member(r, people, counted) for r in rows)


def add_to_pool(
    *,
    actor: Actor,
    person_id: int,
    trained_on: dt.date,
    trainer_id: int | None = None,
    capacity: int = 2,
    note: str = "",
) -> PoolMemberRecord:
    """Put a trained person in the bar-raiser pool (MECHANISMS.md §4): the person exists and is active, and is not
    in the pool yet; trained on a day not in the future; the trainer (optional) is an active pool member other than
    the person; capacity 0..20 open assignments at once. Admins and company-wide leadership only.

    Raises PermissionDenied, RuleViolation naming the field, Conflict (already in the pool)."""
    _policy.require(actor, "manage_pool")
    with transaction.atomic():
        person = _require_person(actor, person_id, field="person_id")
        if not person.active:
            raise RuleViolation(f"{person.handle} has left: only an active person joins the pool", field="person_id")
        values = _clean_member(
            actor, person_id=person.id, trained_on=trained_on, trainer_id=trainer_id, capacity=capacity, note=note
        )
        if PoolMemberRow.objects.filter(person_id=person.id).exists():
            raise Conflict(f"{person.handle} is already in the bar-raiser pool", field="person_id")
        try:
            with transaction.atomic():
                row = PoolMemberRow.objects.create(person_id=person.id, active=True, **values)
        except IntegrityError as exc:
            raise Conflict(f"{person.handle} is already in the bar-raiser pool", field="person_id") from exc
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=POOL_SUBJECT_TYPE,
            subject_id=person.id,
            subject_label=person.handle,
            after=_member_audit(row),
        )
        _pool_changed()
    return get_pool_member(actor=actor, person_id=person.id)


def update_pool_member(*, actor: Actor, person_id: int, changes: PoolMemberChanges, version: int) -> PoolMemberRecord:
    """Change a pool member's training date, trainer, capacity, note or whether they take new assignments
    (MECHANISMS.md §4), with the same rules as add_to_pool; an inactive member keeps their open assignments.
    Admins and company-wide leadership only. A stale version is a Conflict.

    Raises PermissionDenied, NotFound, RuleViolation naming the field, Conflict."""
    _policy.require(actor, "manage_pool")
    wanted = given(changes)
    with transaction.atomic():
        row = PoolMemberRow.objects.filter(person_id=person_id).first()
        if row is None:
            raise NotFound(f"person {person_id} is not in the bar-raiser pool", field="person_id")
        before = _member_audit(row)
        values = _clean_member(
            actor,
            person_id=row.person_id,
            trained_on=wanted.get("trained_on", row.trained_on),
            trainer_id=wanted.get("trainer_id", row.trainer_id),
            capacity=wanted.get("capacity", row.capacity),
            note=wanted.get("note", row.note),
            trainer_unchanged=wanted.get("trainer_id", row.trainer_id) == row.trainer_id,
        )
        if "active" in wanted:
            if not isinstance(wanted["active"], bool):
                raise RuleViolation("active must be true or false", field="active")
            values["active"] = wanted["active"]
        update_versioned(row, expected_version=version, changes=values)
        after = _member_audit(row)
        if after != before:
            audit_services.record_change(
                actor=actor,
                verb="update",
                subject_type=POOL_SUBJECT_TYPE,
                subject_id=row.person_id,
                subject_label=_handle(actor, row.person_id),
                before=before,
                after=after,
            )
            _pool_changed()
    return get_pool_member(actor=actor, person_id=person_id)


def pool_ids(*, actor: Actor, active_only: bool = True) -> frozenset[int]:
    """The person ids in the pool (only those taking assignments, by default). One query."""
    qs = _policy.visible_to(actor, PoolMemberRow.objects.all())
    if active_only:
        qs = qs.filter(active=True)
    return frozenset(qs.values_list("person_id", flat=True))


def loads(*, actor: Actor, person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Open assignments per person across every kind of subject (MECHANISMS.md §4); people without any are 0 when
    asked for by id, and left out otherwise. One query."""
    org_services.require_signed_in(actor)
    wanted = None if person_ids is None else [int(p) for p in person_ids]
    counted = _loads(wanted)
    if wanted is None:
        return counted
    return {p: counted.get(p, 0) for p in wanted}


def load_by_kind(*, actor: Actor, person_id: int) -> dict[SubjectKind, int]:
    """A bar raiser's open assignments counted by kind of subject: what anyone may see of their load."""
    org_services.require_signed_in(actor)
    rows = (
        AssignmentRow.objects.filter(person_id=person_id, released_at__isnull=True)
        .values("subject_kind")
        .annotate(n=Count("id"))
    )
    return {SubjectKind(r["subject_kind"]): r["n"] for r in rows}


def import_pool(*, actor: Actor, records: Sequence[PoolRecord], problems: Problems | None = None) -> ImportReport:
    """Bring the pool in line with records by handle (the org-and-catalog import; MECHANISMS.md §4): a record with
    a training date puts the person in the pool or updates them (active again), one without makes an existing
    member inactive. Capacity 0..20; the trainer, when named, is a person. Every problem is located at its
    record's source and nothing changes (the caller's `problems` collects them with its own). Admins only."""
    org_services.require_admin(actor, "import the bar-raiser pool")
    own = problems is None
    problems = problems or Problems()
    report = ImportReport()
    unchanged = 0
    # People are named by handle: when an earlier phase of the caller's import failed, the people it would have
    # written are not there, so only the records' own values are checked (no spurious "no person" problems).
    resolve = not problems.items
    bad = set()
    for i, rec in enumerate(records):
        capacity = rec.capacity
        if rec.trained_on is not None and (
            isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY
        ):
            problems.add(rec.source, "bar_raiser_capacity", f"must be a whole number from 0 to {MAX_CAPACITY}")
            bad.add(i)
    if not resolve:
        return report
    # Every person of an export carries the pool keys, most without a date: only the members (the pool is small,
    # one batch read) and the people given a date or named as trainers are looked up.
    existing = {r.person_id: r for r in PoolMemberRow.objects.all()}
    members = org_services.get_people(actor=actor, ids=list(existing))
    people = {p.handle: p for p in members.values()}
    wanted = {r.handle.lower() for r in records if r.trained_on is not None} | {
        r.trainer.lower() for r in records if r.trainer
    }
    people |= {h: p for h in wanted - set(people) if (p := org_services.find_person(actor=actor, handle=h))}
    changes: list[tuple[str, Person, dict[str, Any]]] = []
    for i, rec in enumerate(records):
        person = people.get(rec.handle.lower())
        if i in bad or (person is None and rec.trained_on is None):
            continue  # a bad record was reported; a person without a date who is not a member changes nothing
        if person is None:
            problems.add(rec.source, "handle", f"no person with handle {rec.handle!r}")
            continue
        if rec.trained_on is None:
            row = existing.get(person.id)
            if row is not None and row.active:
                changes.append(("update", person, {"active": False}))
            continue
        trainer = people.get(rec.trainer.lower()) if rec.trainer else None
        if rec.trainer and trainer is None:
            problems.add(rec.source, "trainer", f"no person with handle {rec.trainer!r}")
            continue
        values = {
            "trained_on": rec.trained_on,
            "capacity": rec.capacity,
            "active": person.active,
            "trainer_id": trainer.id
            if trainer
            else (existing[person.id].trainer_id if person.id in existing else None),
        }
        row = existing.get(person.id)
        if row is None:
            changes.append(("create", person, values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            changes.append(("update", person, values))
        else:
            unchanged += 1
    if own:
        problems.raise_if_any()
    if problems.items:
        return report
    created = updated = 0
    with transaction.atomic():
        for verb, person, values in changes:
            if verb == "create":
                row = PoolMemberRow.objects.create(person_id=person.id, **values)
                before = None
                created += 1
            else:
                row = existing[person.id]
                before = _member_audit(row)
                update_versioned(row, expected_version=row.version, changes=values)
                updated += 1
            audit_services.record_change(
                actor=actor,
                verb="import",
                subject_type=POOL_SUBJECT_TYPE,
                subject_id=person.id,
                subject_label=person.handle,
                before=before,
                after=_member_audit(row),
            )
        if changes:
            _pool_changed()
    report.count("bar_raisers", created=created, updated=updated, unchanged=unchanged)
    return report


# ======================================================================================================== INDEPENDENCE


def independence_problem(*, actor: Actor, person_id: int, subject: Subject) -> str | None:
    """Why this person may not be the bar raiser of the subject, or None when independent (MECHANISMS.md §4): not
    its owner, not in the owner's management chain up or down, not on an owning team, its leader or in that
    leader's chain, not one of its excluded people (the recruiter). The message starts with the person's handle.
    One rule for every subject: `bar_raisers.rules.independence_problem`.

    Raises NotFound naming `person_id` for an unknown person, `team_id` for an unknown owning team."""
    person = org_services.get_people(actor=actor, ids=[person_id]).get(person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field="person_id")
    graph = org_services.org_graph(actor=actor, team_ids=subject.team_ids)
    problem = _problem_in(graph, person_id, subject)
    return None if problem is None else f"{person.handle} {problem}"


def require_eligible(*, actor: Actor, person_id: int, subject: Subject, field: str = "bar_raiser_id") -> None:
    """Refuse a bar raiser who may not take the subject (MECHANISMS.md §4): they are in the pool and active (and
    have not left), have room under their capacity (an assignment they already hold on this subject counts as
    room), and are independent of the subject. RuleViolation naming the rule and `field`."""
    org_services.require_signed_in(actor)
    person = org_services.get_people(actor=actor, ids=[person_id]).get(person_id)
    if person is None:
        raise RuleViolation(f"person {person_id} does not exist", field=field, details={"rule": "pool"})
    row = PoolMemberRow.objects.filter(person_id=person_id).first()
    if row is None:
        raise RuleViolation(f"{person.handle} is not in the bar-raiser pool", field=field, details={"rule": "pool"})
    if not row.active or not person.active:
        raise RuleViolation(
            f"{person.handle} is not taking bar-raiser assignments now", field=field, details={"rule": "pool"}
        )
    load = _loads([person_id]).get(person_id, 0)
    holds = AssignmentRow.objects.filter(
        subject_kind=subject.kind.value, subject_id=subject.id, person_id=person_id, released_at__isnull=True
    ).exists()
    if not holds and load >= row.capacity:
        raise RuleViolation(
            f"{person.handle} has no room: {load} open assignment{'s' if load != 1 else ''} of {row.capacity}",
            field=field,
            details={"rule": "capacity"},
        )
    problem = _problem_in(org_services.org_graph(actor=actor, team_ids=subject.team_ids), person_id, subject)
    if problem is not None:
        raise RuleViolation(
            f"{person.handle} is not independent: {problem}", field=field, details={"rule": "independence"}
        )


def suggest(*, actor: Actor, subject: Subject, limit: int = 5) -> list[Suggestion]:
    """The bar raisers who could take the subject (MECHANISMS.md §4): active, in the pool, under capacity,
    independent; least loaded first (load across every kind of subject), ties by handle. A fixed number of
    queries however big the pool."""
    org_services.require_signed_in(actor)
    rows = list(PoolMemberRow.objects.filter(active=True))
    if not rows:
        return []
    people = org_services.get_people(actor=actor, ids={r.person_id for r in rows})
    counted = _loads([r.person_id for r in rows])
    graph = org_services.org_graph(actor=actor, team_ids=subject.team_ids)
    holder = _open_row(subject.kind, subject.id)
    found = []
    for row in rows:
        person = people.get(row.person_id)
        if person is None or not person.active:
            continue
        load = counted.get(row.person_id, 0)
        room = load < row.capacity or (holder is not None and holder.person_id == row.person_id)
        if not room or _problem_in(graph, row.person_id, subject) is not None:
            continue
        found.append(Suggestion(person.id, person.handle, person.name, load, row.capacity))
    found.sort(key=lambda s: (s.load, s.handle))
    return found[: max(0, limit)]


# ========================================================================================================= ASSIGNMENT


def assign(*, actor: Actor, subject: Subject, person_id: int | None = None, reason: str = "") -> AssignmentRecord:
    """Assign a bar raiser to a subject of any kind (MECHANISMS.md §4). Without a person, the first suggestion
    (independent, least loaded) is taken, and it is refused naming `bar_raiser_id` when there is none. A person
    other than the first suggestion must be eligible (require_eligible) and needs a `reason`. Assigning a subject
    that has an open assignment releases it (recording why); assigning its current bar raiser again changes
    nothing. The owning app has already decided that the actor may plan the subject. Nests inside the caller's
    transaction.

    Raises RuleViolation naming `bar_raiser_id` or `reason`, Conflict (a concurrent assignment won)."""
    org_services.require_signed_in(actor)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON or "\x00" in reason:
        raise RuleViolation(f"the reason is at most {MAX_REASON} characters of text", field="reason")
    with transaction.atomic():
        current = _open_row(subject.kind, subject.id)
        first = suggest(actor=actor, subject=subject, limit=1)
        if person_id is None:
            if not first:
                raise RuleViolation(
                    "no bar raiser in the pool is independent of this subject and has room",
                    field="bar_raiser_id",
                    details={"rule": "suggestion"},
                )
            person_id = first[0].person_id
        if current is not None and current.person_id == person_id:
            return _to_assignment(current, org_services.get_people(actor=actor, ids=[person_id]))
        suggested = bool(first) and first[0].person_id == person_id
        if not suggested:
            require_eligible(actor=actor, person_id=person_id, subject=subject)
            if not reason:
                named = f" ({first[0].handle})" if first else ""
                raise RuleViolation(
                    f"say why you pick someone other than the first suggestion{named}",
                    field="reason",
                    details={"rule": "manual_pick"},
                )
        now = clock.now()
        if current is not None:
            _release_row(
                actor, current, now=now, reason=f"reassigned to person {person_id}" + (f": {reason}" if reason else "")
            )
        try:
            with transaction.atomic():
                row = AssignmentRow.objects.create(
                    person_id=person_id,
                    subject_kind=subject.kind.value,
                    subject_id=subject.id,
                    owner_id=subject.owner_id,
                    team_id=subject.team_ids[0] if subject.team_ids else None,
                    suggested=suggested,
                    reason=reason,
                    assigned_at=now,
                    assigned_by_id=actor.person_id,
                )
        except IntegrityError as exc:
            raise Conflict(
                "someone else assigned a bar raiser to this subject at the same time; reload and try again",
                field="bar_raiser_id",
            ) from exc
        audit_services.record_change(
            actor=actor,
            verb="assign",
            subject_type=ASSIGNMENT_SUBJECT_TYPE,
            subject_id=row.id,
            after=_assignment_audit(row),
            reason=reason,
        )
        people = org_services.get_people(actor=actor, ids=[person_id])
    return _to_assignment(row, people)


def release(*, actor: Actor, subject_kind: SubjectKind | str, subject_id: int, reason: str = "") -> None:
    """Release the open assignment of a subject (its loop closed, its review ended): the bar raiser's load drops.
    Idempotent: a subject without an open assignment changes nothing. Nests inside the caller's transaction."""
    org_services.require_signed_in(actor)
    with transaction.atomic():
        row = _open_row(SubjectKind(subject_kind), subject_id)
        if row is not None:
            _release_row(actor, row, now=clock.now(), reason=(reason or "").strip()[:MAX_REASON])


def current_assignment(*, actor: Actor, subject_kind: SubjectKind | str, subject_id: int) -> AssignmentRecord | None:
    """The subject's open assignment, or None. The owning app decides who may ask (it shows its own subject)."""
    org_services.require_signed_in(actor)
    row = _open_row(SubjectKind(subject_kind), subject_id)
    if row is None:
        return None
    return _to_assignment(row, org_services.get_people(actor=actor, ids=[row.person_id]))


def list_assignments(
    *, actor: Actor, person_id: int, open_only: bool = True, limit: int | None = None, offset: int | None = None
) -> Page[AssignmentRecord]:
    """A bar raiser's assignments, newest first (open ones only, by default). Their subjects are the bar raiser's
    own to read (a hiring loop is confidential to the loop): anyone else is refused, and sees the load by kind
    (load_by_kind) instead.

    Raises PermissionDenied."""
    _policy.require(actor, "list_assignments", person_id)
    qs = AssignmentRow.objects.filter(person_id=person_id)
    if open_only:
        qs = qs.filter(released_at__isnull=True)
    people = org_services.get_people(actor=actor, ids=[person_id])
    return paginate(qs.order_by("-assigned_at", "-id"), limit=limit, offset=offset, convert=lambda r: r).map(
        lambda r: _to_assignment(r, people)
    )


def can_list_assignments(*, actor: Actor, person_id: int) -> bool:
    """Whether the actor may read the subjects of this person's assignments (only the person themself)."""
    return _policy.can(actor, "list_assignments", person_id)


# ============================================================================================================ private


class _ListQuery(list):
    """A sorted list paginated like a queryset (`count()` and slicing), for the pool ordered by handle."""

    def count(self) -> int:  # type: ignore[override]
        return len(self)


def _pool_changed() -> None:
    # A waiver's validity depends on its approver being in the pool: the mandate re-evaluates every team (the
    # event is delivered after the commit).
    events.teams_changed(None)


def _require_person(actor: Actor, person_id: Any, *, field: str) -> Person:
    if isinstance(person_id, bool) or not isinstance(person_id, int):
        raise RuleViolation(f"{field} must be a person id", field=field)
    person = org_services.get_people(actor=actor, ids=[person_id]).get(person_id)
    if person is None:
        raise RuleViolation(f"person {person_id} does not exist", field=field)
    return person


def _clean_member(
    actor: Actor,
    *,
    person_id: int,
    trained_on: Any,
    trainer_id: Any,
    capacity: Any,
    note: Any,
    trainer_unchanged: bool = False,
) -> dict[str, Any]:
    if not isinstance(trained_on, dt.date) or isinstance(trained_on, dt.datetime):
        raise RuleViolation("trained_on must be a date", field="trained_on")
    if trained_on > clock.today():
        raise RuleViolation("trained_on may not be in the future", field="trained_on")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        raise RuleViolation(f"capacity must be a whole number from 0 to {MAX_CAPACITY}", field="capacity")
    note = "" if note is None else note
    if not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note:
        raise RuleViolation(f"note must be text of at most {MAX_NOTE} characters", field="note")
    if trainer_id is not None and not trainer_unchanged:
        trainer = _require_person(actor, trainer_id, field="trainer_id")
        if trainer.id == person_id:
            raise RuleViolation("a bar raiser cannot be their own trainer", field="trainer_id")
        row = PoolMemberRow.objects.filter(person_id=trainer.id, active=True).first()
        if row is None or not trainer.active:
            raise RuleViolation(f"the trainer {trainer.handle} is not an active bar raiser", field="trainer_id")
    return {"trained_on": trained_on, "trainer_id": trainer_id, "capacity": capacity, "note": note.strip()}


def _loads(person_ids: Iterable[int] | None) -> dict[int, int]:
    qs = AssignmentRow.objects.filter(released_at__isnull=True)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    return dict(qs.values("person_id").annotate(n=Count("id")).values_list("person_id", "n"))


def _open_row(kind: SubjectKind, subject_id: int) -> AssignmentRow | None:
    return AssignmentRow.objects.filter(
        subject_kind=kind.value, subject_id=subject_id, released_at__isnull=True
    ).first()


def _release_row(actor: Actor, row: AssignmentRow, *, now: dt.datetime, reason: str) -> None:
    before = _assignment_audit(row)
    update_versioned(row, expected_version=row.version, changes={"released_at": now})
    audit_services.record_change(
        actor=actor,
        verb="release",
        subject_type=ASSIGNMENT_SUBJECT_TYPE,
        subject_id=row.id,
        before=before,
        after=_assignment_audit(row),
        reason=reason,
    )


def _problem_in(graph: Any, person_id: int, subject: Subject) -> str | None:
    return _rules.independence_problem(
        graph,
        person_id,
        owner=subject.owner_id,
        teams=subject.team_ids,
        excluded=frozenset(subject.excluded_ids),
        owner_word=OWNER_WORDS.get(subject.kind, "owner"),
        excluded_word=EXCLUDED_WORDS.get(subject.kind, "excluded from this subject"),
    )


def _handle(actor: Actor, person_id: int) -> str:
    person = org_services.get_people(actor=actor, ids=[person_id]).get(person_id)
    return person.handle if person else f"person {person_id}"


def _member_audit(row: PoolMemberRow) -> dict[str, Any]:
    return {
        "trained_on": row.trained_on.isoformat(),
        "trainer_id": row.trainer_id,
        "capacity": row.capacity,
        "active": row.active,
        "note": row.note,
    }


def _assignment_audit(row: AssignmentRow) -> dict[str, Any]:
    return {
        "person_id": row.person_id,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "suggested": row.suggested,
        "released_at": row.released_at.isoformat() if row.released_at else None,
    }


def _to_member(row: PoolMemberRow, people: dict, counted: dict[int, int]) -> PoolMemberRecord:
    person = people.get(row.person_id)
    trainer = people.get(row.trainer_id) if row.trainer_id else None
    return PoolMemberRecord(
        person_id=row.person_id,
        handle=person.handle if person else f"person-{row.person_id}",
        name=person.name if person else "",
        trained_on=row.trained_on,
        trainer_id=row.trainer_id,
        trainer_handle=trainer.handle if trainer else "",
        capacity=row.capacity,
        # A member who left the company takes no assignments, whatever the pool row says.
        active=row.active and (person.active if person else False),
        note=row.note,
        load=counted.get(row.person_id, 0),
        version=row.version,
    )


def _to_assignment(row: AssignmentRow, people: dict) -> AssignmentRecord:
    person = people.get(row.person_id)
    return AssignmentRecord(
        id=row.id,
        person_id=row.person_id,
        handle=person.handle if person else "",
        subject_kind=SubjectKind(row.subject_kind),
        subject_id=row.subject_id,
        suggested=row.suggested,
        reason=row.reason,
        assigned_at=row.assigned_at,
        released_at=row.released_at,
        version=row.version,
    )


# --- reviews
#
# A review of any subject (MECHANISMS.md §4): the owning app requests it for the subject's owner (the pool's
# `assign` picks or checks the bar raiser), the bar raiser recommends with written reasoning, the owner accepts or
# overrides with a rationale (the owner's whole management chain is told, and the override is listed in their
# overrides report), or withdraws it. The transitions are declared in machines.py and applied by
# kernel.machine_apply; who may read a review is bar_raisers.policy (`visible_reviews`).

REVIEW_SUBJECT_TYPE = "bar_raiser_review"
REVIEW_NOTICE_KINDS = ("requested", "recommended", "accepted", "overridden", "withdrawn", "overdue")
notifications_services.declare_kinds(kinds=[f"bar_raiser_review.{k}" for k in REVIEW_NOTICE_KINDS])
OPEN_REVIEW_STATES = (ReviewState.REQUESTED.value, ReviewState.RECOMMENDED.value)
# A response or a withdrawal ends the bar raiser's assignment on the subject and is told to the owning app.
RESPONSES = frozenset({"accept", "override", "withdraw"})


def review_days() -> int:
    """Days the bar raiser has for a recommendation when the owning app names no due date."""
    return int(settings.MECHANISMS.get("BAR_RAISER_REVIEW_DAYS", 5))


def register_subject_kind(
    kind: SubjectKind,
    *,
    describe: Callable[[Actor, int], Subject],
    visible: Callable[[Actor, frozenset[int]], frozenset[int]],
    overridable: bool = True,
    may_recommend: Callable[[int], str | None] | None = None,
    on_response: Callable[[Actor, ReviewRecord], None] | None = None,
    acts_for_owner: Callable[[Actor, int], bool] | None = None,
) -> None:
    """Let an owning app's subjects be reviewed (called from its AppConfig.ready(); MECHANISMS.md §4).

    `describe(actor, id)` is the subject as the actor may see it (NotFound otherwise); `visible(actor, ids)` which
    of these subjects the actor may see (it also lets them read the subjects' reviews, and it alone decides for an
    admin account: bar_raisers.policy); `overridable=False` means
    the owner cannot go against a do-not-proceed (a hiring veto, a waiver); `may_recommend(id)` returns why the
    recommendation must wait (hiring: until the debrief opens), or None; `on_response(actor, review)` is called
    inside the write of an accept, an override or a withdrawal; `acts_for_owner(actor, id)` says when someone other
    than the owner takes the owner's side (hiring: a recruiter withdrawing the loop, which withdraws its review).
    Registering a kind again replaces it."""
    _kinds.register(
        _kinds.KindInfo(
            kind=SubjectKind(kind),
            describe=describe,
            visible=visible,
            overridable=overridable,
            may_recommend=may_recommend,
            on_response=on_response,
            acts_for_owner=acts_for_owner,
        )
    )


def request_review(
    *,
    actor: Actor,
    subject: Subject,
    bar_raiser_id: int | None = None,
    reason: str = "",
    question: str = "",
    due_on: dt.date | None = None,
) -> ReviewRecord:
    """Ask a bar raiser to review a subject (MECHANISMS.md §4): called by the owning app, for the subject's owner,
    inside its own write if it likes (this nests). The pool's `assign` picks the first suggestion when no bar raiser
    is named, or checks the one named (in the pool, active, with room, independent of the owner, the owning teams
    and the excluded people; a pick other than the first suggestion needs a `reason`). One open review per
    subject. The bar raiser is told the subject's title and link only, and owes the recommendation by `due_on`
    (default: BAR_RAISER_REVIEW_DAYS days), with reminders from the deadlines helper.

    Raises RuleViolation naming the field (subject_kind, subject, question, due_on, bar_raiser_id, reason),
    NotFound (the actor may not see the subject), PermissionDenied."""
    org_services.require_signed_in(actor)
    info = _kinds.get(subject.kind)
    # The owning app decided the actor may plan the subject; someone who may not even see it never gets this far
    # (the product itself, an operator's command or the demo, sees what it works on).
    if actor.user_id is not None and not info.visible(actor, frozenset({subject.id})):
        raise NotFound(f"{subject.kind.value} {subject.id} does not exist", field="subject")
    if subject.owner_id is None:
        raise RuleViolation("a review needs the subject's owner, who answers it", field="subject")
    question = _text(question, "question", 5000, required=False)
    title = _text(subject.title, "title", 200)
    today = clock.today()
    if due_on is not None and due_on < today:
        raise RuleViolation("the recommendation cannot be due in the past", field="due_on")
    due_on = due_on or today + dt.timedelta(days=review_days())
    existing = _open_review_row(subject.kind.value, subject.id)
    if existing is not None:
        raise RuleViolation(
            f"{subject.title} already has an open bar-raiser review (#{existing.id}, {existing.state})",
            field="subject",
        )
    now = clock.now()
    with transaction.atomic():
        assignment = assign(actor=actor, subject=subject, person_id=bar_raiser_id, reason=reason)
        row = ReviewRow.objects.create(
            assignment_id=assignment.id,
            subject_kind=subject.kind.value,
            subject_id=subject.id,
            title=title,
            url=subject.url[:300],
            owner_id=subject.owner_id,
            team_id=subject.team_ids[0] if subject.team_ids else None,
            state=REVIEW_MACHINE.initial,
            requested_at=now,
            requested_by_id=actor.person_id,
            due_on=due_on,
            question=question,
        )
        _review_event(row, actor, REQUEST.name, "", row.state, (reason or "").strip()[:500])
        record = _to_review(row, assignment.person_id)
        audit_services.record_change(
            actor=actor,
            verb=REQUEST.name,
            subject_type=REVIEW_SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=title,
            after=_review_audit(record),
            reason=reason,
        )
        row.assignment = AssignmentRow(pk=assignment.id, person_id=assignment.person_id)
        _track_recommendation(actor, row, fresh=True)
        _notify_review(actor, record, "requested", f"Bar-raiser review requested: {title}", {assignment.person_id})
    return record


def reassign_review(
    *, actor: Actor, subject: Subject, bar_raiser_id: int | None = None, reason: str = ""
) -> ReviewRecord:
    """Put another bar raiser on a subject's open review (the owning app re-plans it: a hiring loop's new bar
    raiser), while it still waits for its recommendation. The pool's `assign` picks the first suggestion or checks
    the one named (a manual pick needs a `reason`) and releases the previous assignment; the review follows the new
    one, the new bar raiser is told (title and link only) and owes the recommendation by the same due date.
    Naming the current bar raiser changes nothing. Called by the owning app, which decided the actor may plan the
    subject. Raises RuleViolation naming the field (subject, state, bar_raiser_id, reason), Conflict."""
    org_services.require_signed_in(actor)
    _kinds.get(subject.kind)
    row = _open_review_row(subject.kind.value, subject.id)
    if row is None:
        raise RuleViolation(f"{subject.title} has no open bar-raiser review", field="subject")
    if row.state != ReviewState.REQUESTED.value:
        raise RuleViolation("the bar raiser has recommended already; the review keeps its bar raiser", field="state")
    with transaction.atomic():
        assignment = assign(actor=actor, subject=subject, person_id=bar_raiser_id, reason=reason)
        if assignment.id == row.assignment_id:
            return _to_review(row, assignment.person_id)
        return machine_apply.write(
            _REVIEW_BINDING,
            actor=actor,
            row=row,
            transition=REASSIGN,
            to_state=row.state,
            changes={"assignment_id": assignment.id},
            note=(reason or "").strip()[:500],
        )


def apply_review_transition(
    *, actor: Actor, review_id: int, name: str, version: int, values: Mapping[str, Any]
) -> ReviewRecord:
    """Take one transition of the declared review machine (bar_raisers/machines.py), in the order of
    kernel/machine_apply.py: the version read (409), the state, the owning app's hold and the party (400/403
    naming the rule), the input (400 naming the field), the compare-and-set, the timeline event, the audit record,
    the notices; a response or withdrawal also releases the bar raiser's assignment and tells the owning app.
    A review the actor may not read is NotFound."""
    org_services.require_signed_in(actor)
    row = _require_review_row(actor, review_id)
    return machine_apply.apply(_REVIEW_BINDING, actor=actor, row=row, version=version, name=name, raw=values)


def _move_review(name: str, actor: Actor, review_id: int, version: int, **values: Any) -> ReviewRecord:
    return apply_review_transition(actor=actor, review_id=review_id, name=name, version=version, values=values)


def recommend(
    *, actor: Actor, review_id: int, version: int, recommendation: Recommendation | str, reasoning: str
) -> ReviewRecord:
    """The assigned bar raiser's recommendation (MECHANISMS.md §4): approve, approve with concerns or do not
    proceed, with written reasoning (required). Only once the owning app lets it (`may_recommend`). Clears the
    recommendation's deadline and tells the owner. Raises RuleViolation, PermissionDenied, Conflict, NotFound."""
    value = recommendation.value if isinstance(recommendation, Recommendation) else recommendation
    return _move_review("recommend", actor, review_id, version, recommendation=value, reasoning=reasoning)


def accept_review(*, actor: Actor, review_id: int, version: int, note: str = "") -> ReviewRecord:
    """The owner accepts the recommendation (MECHANISMS.md §4). Releases the assignment and tells the owning app."""
    return _move_review("accept", actor, review_id, version, note=note)


def override_review(*, actor: Actor, review_id: int, version: int, rationale: str) -> ReviewRecord:
    """The owner goes against the recommendation, with a rationale (MECHANISMS.md §4: the override is recorded and
    made visible to the owner's management chain: everyone above the owner is notified, with the subject's title,
    the recommendation and a link, never the rationale, and it is listed in their overrides report). Refused for a
    do-not-proceed on a kind that is not overridable (a hiring veto, a waiver)."""
    return _move_review("override", actor, review_id, version, rationale=rationale)


def withdraw_review(*, actor: Actor, review_id: int, version: int, reason: str) -> ReviewRecord:
    """The owner withdraws the review (the subject went away), with a reason. Releases the assignment."""
    return _move_review("withdraw", actor, review_id, version, reason=reason)


def get_review(*, actor: Actor, review_id: int) -> ReviewRecord:
    """One review the actor may read (bar_raisers.policy). Raises NotFound, PermissionDenied (not signed in)."""
    row = _require_review_row(actor, review_id)
    return _to_review(row, row.assignment.person_id)


def review_view(*, actor: Actor, review_id: int) -> ReviewView:
    """A review, its timeline, and the moves this viewer may make now (what the review page shows)."""
    row = _require_review_row(actor, review_id)
    ctx = _ReviewContext(actor, row)
    parties = _review_parties(ctx)
    facts = _review_facts(ctx)
    return ReviewView(
        review=_to_review(row, row.assignment.person_id),
        timeline=tuple(_to_review_event(e) for e in row.events.order_by("at", "id")),
        actions=machines.available(REVIEW_MACHINE, facts, parties),
        viewer_parties=tuple(sorted(parties)),
        overridable=facts.overridable,
        held=facts.held,
    )


def review_for(*, actor: Actor, subject_kind: SubjectKind | str, subject_id: int) -> ReviewRecord | None:
    """The current review of a subject the actor may read: the open one, else the latest; None when there is none
    (or the actor may not read it)."""
    org_services.require_signed_in(actor)
    qs = _policy.visible_reviews(
        actor, ReviewRow.objects.filter(subject_kind=str(SubjectKind(subject_kind)), subject_id=subject_id)
    ).select_related("assignment")
    rows = list(qs.order_by("-requested_at", "-id")[:20])
    row = next((r for r in rows if r.state in OPEN_REVIEW_STATES), rows[0] if rows else None)
    return _to_review(row, row.assignment.person_id) if row is not None else None


def list_reviews(
    *,
    actor: Actor,
    bar_raiser_id: int | None = None,
    owner_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ReviewRecord]:
    """Reviews the actor may read, newest first, by bar raiser, owner, state (or "open") and kind of subject.
    Raises RuleViolation naming a bad filter."""
    qs = _policy.visible_reviews(actor, ReviewRow.objects.select_related("assignment"))
    if bar_raiser_id is not None:
        qs = qs.filter(assignment__person_id=bar_raiser_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if state:
        states = {s.value for s in ReviewState}
        if state == "open":
            qs = qs.filter(state__in=OPEN_REVIEW_STATES)
        elif state in states:
            qs = qs.filter(state=state)
        else:
            raise RuleViolation(f"state must be open or one of {', '.join(sorted(states))}", field="state")
    if kind:
        if kind not in {k.value for k in SubjectKind}:
            raise RuleViolation(f"kind must be one of {', '.join(k.value for k in SubjectKind)}", field="kind")
        qs = qs.filter(subject_kind=kind)
    return paginate(
        qs.order_by("-requested_at", "-id"),
        limit=limit,
        offset=offset,
        convert=lambda r: _to_review(r, r.assignment.person_id),
    )


def list_overrides(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[ReviewRecord]:
    """The overrides report (MECHANISMS.md §4): overridden reviews, newest response first, with their rationale,
    as the actor may see them: everyone above the owner in the management chain, holders of `leadership` covering
    the owning team's org unit, admins. An empty page for anyone else."""
    org_services.require_signed_in(actor)
    qs = ReviewRow.objects.filter(state=ReviewState.OVERRIDDEN.value).select_related("assignment")
    team_ids = set(qs.exclude(team_id=None).values_list("team_id", flat=True).distinct())
    teams = org_services.get_teams(actor=Actor.system("bar_raisers"), ids=team_ids) if team_ids else {}
    visible = _policy.visible_overrides(actor, qs, team_units={t.id: t.org_unit_id for t in teams.values()})
    return paginate(
        visible.order_by("-responded_at", "-id"),
        limit=limit,
        offset=offset,
        convert=lambda r: _to_review(r, r.assignment.person_id),
    )


def override_rates(*, actor: Actor, since: dt.date | None = None) -> list[OverrideRate]:
    """Per kind of subject, among the reviews the actor may read requested on or after `since`: how many were
    requested, recommended, overridden, and recommended do-not-proceed (a veto, for a kind that is not
    overridable). For the mechanism-health figures (issue 10 item 5)."""
    qs = _policy.visible_reviews(actor, ReviewRow.objects.all())
    if since is not None:
        qs = qs.filter(requested_at__date__gte=since)
    counts: dict[str, Counter] = {}
    for kind, state, recommendation in qs.values_list("subject_kind", "state", "recommendation"):
        c = counts.setdefault(kind, Counter())
        c["requested"] += 1
        c["recommended"] += 1 if recommendation else 0
        c["overridden"] += 1 if state == ReviewState.OVERRIDDEN.value else 0
        c["vetoed"] += 1 if recommendation == Recommendation.DO_NOT_PROCEED.value else 0
    return [
        OverrideRate(SubjectKind(k), c["requested"], c["recommended"], c["overridden"], c["vetoed"])
        for k, c in sorted(counts.items())
    ]


def bar_raiser_queue(*, actor: Actor) -> BarRaiserQueue:
    """The actor's own queue as a bar raiser: the reviews waiting for their recommendation (oldest due first), and
    every open assignment of theirs, of every kind, each with its subject's title and page as the owning app
    describes it to them."""
    org_services.require_signed_in(actor)
    if actor.person_id is None:
        return BarRaiserQueue(awaiting=(), assignments=())
    awaiting = ReviewRow.objects.filter(
        assignment__person_id=actor.person_id, state=ReviewState.REQUESTED.value
    ).select_related("assignment")
    reviews = tuple(_to_review(r, r.assignment.person_id) for r in awaiting.order_by("due_on", "id")[:200])
    open_assignments = list_assignments(actor=actor, person_id=actor.person_id, open_only=True, limit=200).items
    # A reviewed subject is named as its review names it (the bar raiser reads their own reviews); any other
    # assignment as its owning app describes it to them.
    named = dict(
        ((kind, subject_id), (title, url))
        for kind, subject_id, title, url in ReviewRow.objects.filter(
            assignment_id__in=[a.id for a in open_assignments]
        ).values_list("subject_kind", "subject_id", "title", "url")
    )
    items = []
    for assignment in open_assignments:
        key = (assignment.subject_kind.value, assignment.subject_id)
        title, url = named.get(key, (f"{key[0].replace('_', ' ')} {key[1]}", ""))
        info = _kinds.find(assignment.subject_kind)
        if key not in named and info is not None:
            try:
                subject = info.describe(actor, assignment.subject_id)
                title, url = subject.title, subject.url
            except NotFound:
                pass
        items.append(QueueItem(assignment=assignment, title=title, url=url))
    return BarRaiserQueue(awaiting=reviews, assignments=tuple(items))


def awaiting_recommendation(subject_ids: set[int]) -> set[int]:
    """Which of these reviews still wait for the bar raiser's recommendation: the deadlines helper's check before it
    reminds anyone (registered in apps.py), so a recommended or withdrawn review is never reminded."""
    return set(
        ReviewRow.objects.filter(pk__in=subject_ids, state=ReviewState.REQUESTED.value).values_list("id", flat=True)
    )


def can_see_overrides(*, actor: Actor) -> bool:
    """Whether the overrides report may list anything for this actor (the navigation shows it to them): admins,
    managers (someone reports to them) and holders of `leadership`."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    # Two small reads instead of the six of relations_of: the navigation asks this on every page.
    return Role.LEADERSHIP in org_services.held_roles(actor=actor) or org_services.manages_anyone(actor=actor)


def erase_review_text(*, subject_kind: SubjectKind | str, subject_id: int) -> None:
    """Blank the free text of every review of one subject (the question, the bar raiser's reasoning, the owner's
    rationale and the timeline's notes), keeping the recommendation, the response and the dates. The owning app
    calls it inside its own erasure (a candidate erased on request: hiring's erase hook, which the audit app runs
    after its administrator check); not an entry point of its own."""
    rows = ReviewRow.objects.filter(subject_kind=SubjectKind(subject_kind).value, subject_id=int(subject_id))
    ReviewEventRow.objects.filter(review__in=rows).update(note="")
    AssignmentRow.objects.filter(review__in=rows).update(reason="")
    rows.update(question="", reasoning="", rationale="")


# ---------------------------------------------------------------------------------------------- reviews: private


def _track_recommendation(actor: Actor, row: ReviewRow, *, fresh: bool) -> None:
    """The bar raiser owes the recommendation by the end of `due_on`; reminded daily once it is late."""
    notifications_services.track_deadline(
        actor=actor,
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=row.id,
        due_at=timezone.make_aware(dt.datetime.combine(row.due_on + dt.timedelta(days=1), dt.time.min)),
        owner_ids={row.assignment.person_id},
        title=f"Your bar-raiser recommendation: {row.title}",
        kind="bar_raiser_review.overdue",
        url=_review_url(row.id),
        remind_every=dt.timedelta(days=1),
        fresh=fresh,
    )


def _review_url(review_id: int) -> str:
    return f"/bar-raisers/reviews/{review_id}"


def _open_review_row(kind: str, subject_id: int) -> ReviewRow | None:
    return ReviewRow.objects.filter(subject_kind=kind, subject_id=subject_id, state__in=OPEN_REVIEW_STATES).first()


def _require_review_row(actor: Actor, review_id: Any) -> ReviewRow:
    row = None
    if isinstance(review_id, int) and 0 < review_id < 2**63:
        qs = _policy.visible_reviews(actor, ReviewRow.objects.select_related("assignment"))
        row = qs.filter(pk=review_id).first()
    if row is None:
        raise NotFound(f"bar-raiser review {review_id} does not exist", field="review_id")
    return row


class _ReviewContext:
    """What one move on a review reads, once: the row with its assignment, the subject kind's registration."""

    def __init__(self, actor: Actor, row: ReviewRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now = clock.now()
        self.info = _kinds.find(row.subject_kind)


def _review_facts(ctx: _ReviewContext) -> ReviewFacts:
    row, info = ctx.row, ctx.info
    held = ""
    if row.state == ReviewState.REQUESTED.value and info is not None and info.may_recommend is not None:
        held = info.may_recommend(row.subject_id) or ""
    return ReviewFacts(
        state=ReviewState(row.state),
        recommendation=Recommendation(row.recommendation) if row.recommendation else None,
        overridable=info.overridable if info is not None else True,
        held=held,
    )


def _review_parties(ctx: _ReviewContext) -> frozenset[str]:
    parties = _policy.review_parties(ctx.actor, bar_raiser_id=ctx.row.assignment.person_id, owner_id=ctx.row.owner_id)
    info = ctx.info
    # The owning app may let someone answer for the owner (a recruiter withdrawing a hiring loop withdraws its review).
    speaks_for_owner = info is not None and info.acts_for_owner is not None
    if "owner" not in parties and speaks_for_owner and info.acts_for_owner(ctx.actor, ctx.row.subject_id):
        parties = parties | {"owner"}
    return parties


def _review_record(step: machine_apply.Step) -> ReviewRecord:
    """After the compare-and-set: the timeline event, the audit record, the deadline, the assignment, the owning
    app's hook and the notices, in the same transaction."""
    ctx: _ReviewContext = step.context
    row, t, actor = ctx.row, step.transition, ctx.actor
    if t is REASSIGN:  # the row now names the new assignment; its cached one is the released one
        row.assignment = AssignmentRow.objects.get(pk=row.assignment_id)
    _review_event(row, actor, t.name, step.from_state, step.to_state, step.note)
    record = _to_review(row, row.assignment.person_id)
    audit_services.record_change(
        actor=actor,
        verb=t.name,
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=row.title,
        before=step.before,
        after=_review_audit(record),
        reason=step.note if t.name != "recommend" else "",
    )
    if t.name in ("recommend", "withdraw"):
        notifications_services.clear_deadline(actor=actor, subject_type=REVIEW_SUBJECT_TYPE, subject_id=row.id)
    if t.name in RESPONSES:
        release(actor=actor, subject_kind=SubjectKind(row.subject_kind), subject_id=row.subject_id)
        if ctx.info is not None and ctx.info.on_response is not None:
            ctx.info.on_response(actor, record)
    if t is REASSIGN:
        _track_recommendation(actor, row, fresh=False)
        title = f"Bar-raiser review requested: {row.title}"
        _notify_review(actor, record, "requested", title, {row.assignment.person_id})
    elif t.name == "recommend":
        title = f"{row.title}: the bar raiser's recommendation is in"
        _notify_review(actor, record, "recommended", title, {row.owner_id})
    elif t.name == "override":
        words = RECOMMENDATION_WORDS.get(row.recommendation, row.recommendation).lower()
        chain = org_services.management_chain(actor=Actor.system("bar_raisers"), person_id=row.owner_id)
        _notify_review(
            actor,
            record,
            "overridden",
            f"Override: {row.title}",
            {p.id for p in chain},
            body=f"The owner went against the bar raiser's recommendation ({words}). The rationale is on the review.",
        )
    else:
        kind = {"accept": "accepted", "withdraw": "withdrawn"}[t.name]
        words = t.words_for(t.notice, step.to_state)
        _notify_review(actor, record, kind, f"{row.title}: {words}", {row.assignment.person_id})
    return record


def _review_snapshot(ctx: _ReviewContext) -> dict[str, Any]:
    return _review_audit(_to_review(ctx.row, ctx.row.assignment.person_id))


_REVIEW_BINDING = machine_apply.Binding(
    machine=REVIEW_MACHINE,
    load=_ReviewContext,
    facts=_review_facts,
    parties=_review_parties,
    snapshot=_review_snapshot,
    record=_review_record,
)


def _notify_review(
    actor: Actor, review: ReviewRecord, kind: str, title: str, recipients: set[int], *, body: str = ""
) -> None:
    """Notices carry the subject's title and the review's link only (plus, for an override, the recommendation):
    never the question, the reasoning or the rationale, which the review page shows to those who may read it."""
    notifications_services.notify(
        actor=actor,
        recipients=recipients,
        kind=f"bar_raiser_review.{kind}",
        title=title[:200],
        body=body,
        url=_review_url(review.id),
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=review.id,
    )


def _review_event(row: ReviewRow, actor: Actor, transition: str, from_state: str, to_state: str, note: str) -> None:
    ReviewEventRow.objects.create(
        review=row,
        at=clock.now(),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.person_id,
        actor_label=actor.label[:200],
        note=note or "",
    )


def _review_audit(review: ReviewRecord) -> dict[str, Any]:
    # The review's history is CONFIDENTIAL (history.py): the log keeps these fields' names only, never values.
    return {
        "state": review.state.value,
        "bar_raiser_id": review.bar_raiser_id,
        "owner_id": review.owner_id,
        "question": review.question,
        "recommendation": review.recommendation.value if review.recommendation else "",
        "reasoning": review.reasoning,
        "response": review.response.value if review.response else "",
        "rationale": review.rationale,
        "version": review.version,
    }


def _to_review_event(row: ReviewEventRow) -> ReviewEventRecord:
    return ReviewEventRecord(
        id=row.id,
        at=row.at,
        transition=row.transition,
        from_state=row.from_state,
        to_state=row.to_state,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        note=row.note,
    )


def _to_review(row: ReviewRow, bar_raiser_id: int) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        subject_kind=SubjectKind(row.subject_kind),
        subject_id=row.subject_id,
        title=row.title,
        url=row.url,
        owner_id=row.owner_id,
        team_id=row.team_id,
        bar_raiser_id=bar_raiser_id,
        state=ReviewState(row.state),
        requested_at=row.requested_at,
        due_on=row.due_on,
        question=row.question,
        recommendation=Recommendation(row.recommendation) if row.recommendation else None,
        reasoning=row.reasoning,
        recommended_at=row.recommended_at,
        response=Response(row.response) if row.response else None,
        rationale=row.rationale,
        responded_at=row.responded_at,
        version=row.version,
    )
