"""Public services of the bar-raisers app (MECHANISMS.md §4): the only way to read or change the pool, to judge a
bar raiser's independence of a subject, and to assign one to a subject of any kind (a hiring loop, a decision, a
waiver). The reviews of subjects follow in the second part of this module.

Every write is one transaction that authorizes against the actor, changes, and records its audit entry; `assign`
and `release` nest inside the caller's transaction (a hiring loop's write) when there is one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, events
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Person

from . import policy as _policy
from . import rules as _rules
from .contracts import (
    EXCLUDED_WORDS,
    OWNER_WORDS,
    AssignmentRecord,
    PoolMemberChanges,
    PoolMemberRecord,
    PoolRecord,
    Subject,
    SubjectKind,
    Suggestion,
)
from .models import Assignment as AssignmentRow
from .models import PoolMember as PoolMemberRow

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
    handles = {r.handle.lower() for r in records} | {r.trainer.lower() for r in records if r.trainer}
    people = {h: p for h in handles if (p := org_services.find_person(actor=actor, handle=h)) is not None}
    existing = {r.person_id: r for r in PoolMemberRow.objects.filter(person_id__in=[p.id for p in people.values()])}
    changes: list[tuple[str, Person, dict[str, Any]]] = []
    for rec in records:
        person = people.get(rec.handle.lower())
        if person is None:
            problems.add(rec.source, "handle", f"no person with handle {rec.handle!r}")
            continue
        if rec.trained_on is None:
            row = existing.get(person.id)
            if row is not None and row.active:
                changes.append(("update", person, {"active": False}))
            continue
        if isinstance(rec.capacity, bool) or not isinstance(rec.capacity, int) or not 0 <= rec.capacity <= MAX_CAPACITY:
            problems.add(rec.source, "bar_raiser_capacity", f"must be a whole number from 0 to {MAX_CAPACITY}")
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

    Raises NotFound naming `team_id` for an unknown owning team."""
    graph = org_services.org_graph(actor=actor, team_ids=subject.team_ids)
    problem = _problem_in(graph, person_id, subject)
    if problem is None:
        return None
    return f"{_handle(actor, person_id)} {problem}"


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
