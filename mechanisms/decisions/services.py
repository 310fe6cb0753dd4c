"""Public services of the decisions app (MECHANISMS.md §7, §4; DESIGN.md §4): decision records with a single owner,
their considered options, one-way or two-way door; participants and the stances they sign themselves (agree;
disagree and commit, with the new information the dissent brings; still disagree); the declared machine (decide,
reject, deprecate, supersede); the revisit date tracked by the deadlines helper; the later outcome review and the
track record per owner ("right a lot"); the import of records read from files (MADR: workflows.madr_io).

Every write is one transaction with its audit record and notifications on commit; a stale version is a 409.
Who may do what is `policy.py`: the log is open to every signed-in person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import ReviewState, Subject, SubjectKind
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import policy as _policy
from .contracts import (
    DECIDED_STATUSES,
    REVIEWED_CATEGORIES,
    REVIEWED_OUTCOMES,
    STANCE_WORDS,
    Category,
    Decision,
    DecisionChanges,
    DecisionId,
    DecisionImport,
    DecisionView,
    Door,
    Option,
    OptionInput,
    Outcome,
    Participant,
    Stance,
    Status,
    TrackRecordLine,
)
from .machines import MACHINE, DecisionFacts
from .models import Decision as DecisionRow
from .models import Option as OptionRow
from .models import Participant as ParticipantRow

SUBJECT_TYPE = "decision"
VERBS = frozenset(
    {
        "create",
        "update",
        "import",
        "add_participant",
        "remove_participant",
        "sign_stance",
        "record_outcome",
        *(t.name for t in MACHINE.transitions),
    }
)
KIND_SIGN, KIND_STANCE = "decision.sign", "decision.stance"
KIND_REVISIT, KIND_UPDATE = "decision.revisit", "decision.update"
notifications_services.declare_kinds(kinds=[KIND_SIGN, KIND_STANCE, KIND_REVISIT, KIND_UPDATE])
MAX_OPTIONS = 30
MAX_PARTICIPANTS = 50
MAX_TEXT = 20000
REVISIT_ESCALATE_AFTER = dt.timedelta(days=7)
FINAL = frozenset({Status.REJECTED.value, Status.SUPERSEDED.value})


# ---------------------------------------------------------------------------------------------- create, update


def create_decision(
    *,
    actor: Actor,
    question: str,
    context: str = "",
    options: Sequence[OptionInput] = (),
    owner_id: int | None = None,
    team_id: int | None = None,
    door: Door | str = Door.TWO_WAY,
    category: Category | str = Category.OTHER,
    high_impact: bool = False,
    participant_ids: Iterable[int] = (),
    revisit_on: dt.date | None = None,
) -> Decision:
    """Record a proposed decision (MECHANISMS.md §7): the question, its context, the considered options, its single
    owner (the actor's person unless named; only an admin names someone else), the team, one-way or two-way door,
    the category, the participants (each asked to sign a stance) and the revisit date (tracked: the owner is
    reminded, then their manager hears). A high-impact decision must be of a design, architecture or
    customer-experience category and gets a bar-raiser review requested now (MECHANISMS.md §4).

    Raises RuleViolation naming the field, PermissionDenied, NotFound."""
    org_services.require_signed_in(actor)
    if owner_id is None:
        if actor.person_id is None:
            raise RuleViolation("name the decision's owner (this account is no person)", field="owner_id")
        owner_id = actor.person_id
    elif owner_id != actor.person_id and not actor.is_admin:
        raise PermissionDenied("only an admin records a decision for another owner", field="owner_id")
    values = _clean_fields(
        actor,
        {
            "question": question,
            "context": context,
            "door": door,
            "category": category,
            "high_impact": high_impact,
            "team_id": team_id,
            "revisit_on": revisit_on,
        },
    )
    _require_people(actor, [owner_id], "owner_id")
    people = _clean_participants(actor, participant_ids, owner_id)
    cleaned_options = _clean_options(options)
    _check_high_impact(values["high_impact"], values["category"])
    with transaction.atomic():
        row = _create_numbered(
            slug=slugify(values["question"])[:120] or "decision", owner_id=owner_id, status=MACHINE.initial, **values
        )
        OptionRow.objects.bulk_create(
            [OptionRow(decision=row, position=i, title=t, description=d) for i, (t, d) in enumerate(cleaned_options, 1)]
        )
        ParticipantRow.objects.bulk_create([ParticipantRow(decision=row, person_id=p) for p in people])
        decision = _to_decision(row)
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=_label(row),
            after=_audit_view(decision),
        )
        _ask_to_sign(actor, row, people)
        _track_revisit(actor, row, fresh=True)
        if row.high_impact:
            _request_review(actor, row)
    return decision


def update_decision(*, actor: Actor, decision_id: int, changes: DecisionChanges, version: int) -> Decision:
    """Change a decision's question, context, options, door, category, high impact, team, revisit date or
    consequences (MECHANISMS.md §7). The owner or an admin; not once it is rejected or superseded; the options
    only while it is proposed (a decided record keeps what it chose from). Marking it high-impact requests its
    bar-raiser review (design, architecture or customer experience only); a high-impact decision stays
    high-impact and keeps its category. A stale version is a Conflict. Raises RuleViolation naming the field,
    PermissionDenied, NotFound."""
    row = _require_row(actor, decision_id)
    _policy.require(actor, "edit", owner_id=row.owner_id)
    if row.status in FINAL:
        raise RuleViolation(f"decision {row.number} is {row.status}; it can no longer change", field="status")
    _check_version(row, version)
    wanted = given(changes)
    options = wanted.pop("options", None)
    values = _clean_fields(actor, wanted)
    if options is not None and row.status != Status.PROPOSED.value:
        raise RuleViolation("the options of a decided decision stay as they were decided from", field="options")
    cleaned_options = _clean_options(options) if options is not None else None
    high_impact = values.get("high_impact", row.high_impact)
    category = values.get("category", row.category)
    _check_high_impact(high_impact, category)
    if row.high_impact and values.get("high_impact") is False:
        # Otherwise un-marking it would step around the review the guard of `decide` waits for (MECHANISMS.md §4).
        raise RuleViolation(
            "a high-impact decision stays high-impact: its bar-raiser review decides", field="high_impact"
        )
    if row.high_impact and "category" in values and values["category"] != row.category:
        raise RuleViolation(
            "the category of a high-impact decision stays: its review is of that kind", field="category"
        )
    before = _audit_view(_to_decision(row))
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed and cleaned_options is None:
        return _to_decision(row)
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=changed)
        if cleaned_options is not None:
            row.options.all().delete()
            OptionRow.objects.bulk_create(
                [
                    OptionRow(decision=row, position=i, title=t, description=d)
                    for i, (t, d) in enumerate(cleaned_options, 1)
                ]
            )
        decision = _to_decision(row)
        audit_services.record_change(
            actor=actor,
            verb="update",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=_label(row),
            before=before,
            after=_audit_view(decision),
        )
        if "revisit_on" in changed:
            _track_revisit(actor, row)
        if changed.get("high_impact") and _review(row) is None:
            _request_review(actor, row)
    return decision


def request_decision_review(*, actor: Actor, decision_id: int, version: int) -> Decision:
    """Ask again for the bar-raiser review of a high-impact decision whose review was withdrawn (MECHANISMS.md §4:
    it cannot be decided without one). The owner or an admin; only while proposed; refused while a review is open
    or done. The request itself is the review's first entry in its own history. Raises RuleViolation, Conflict."""
    row = _require_row(actor, decision_id)
    _policy.require(actor, "edit", owner_id=row.owner_id)
    if not row.high_impact or Category(row.category) not in REVIEWED_CATEGORIES:
        raise RuleViolation("only a high-impact decision gets a bar-raiser review", field="high_impact")
    if row.status != Status.PROPOSED.value:
        raise RuleViolation(f"decision {row.number} is {row.status}: it is no longer reviewed", field="status")
    review = _review(row)
    if review is not None and review.state is not ReviewState.WITHDRAWN:
        raise RuleViolation(f"this decision's bar-raiser review is {review.state.value}", field="review")
    _check_version(row, version)
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={})
        _request_review(actor, row)
    return _to_decision(row)


def add_participant(*, actor: Actor, decision_id: int, person_id: int, version: int) -> Decision:
    """Add a participant, who is asked to sign their stance (MECHANISMS.md §7). The owner or an admin; not once the
    decision is rejected or superseded; the owner is not their own participant. Raises RuleViolation, Conflict."""
    row = _require_row(actor, decision_id)
    _policy.require(actor, "edit", owner_id=row.owner_id)
    if row.status in FINAL:
        raise RuleViolation(f"decision {row.number} is {row.status}; it can no longer change", field="status")
    _check_version(row, version)
    people = _clean_participants(actor, [person_id], row.owner_id, field="person_id")
    if row.participants.filter(person_id=person_id).exists():
        raise RuleViolation("this person already takes part in the decision", field="person_id")
    if row.participants.count() >= MAX_PARTICIPANTS:
        raise RuleViolation(f"a decision has at most {MAX_PARTICIPANTS} participants", field="person_id")
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={})
        ParticipantRow.objects.create(decision=row, person_id=person_id)
        _audit_participants(actor, row, "add_participant", person_id)
        _ask_to_sign(actor, row, people)
    return _to_decision(row)


def remove_participant(*, actor: Actor, decision_id: int, person_id: int, version: int) -> Decision:
    """Remove a participant and the stance they signed (the history keeps it). The owner or an admin."""
    row = _require_row(actor, decision_id)
    _policy.require(actor, "edit", owner_id=row.owner_id)
    if row.status in FINAL:
        raise RuleViolation(f"decision {row.number} is {row.status}; it can no longer change", field="status")
    _check_version(row, version)
    found = row.participants.filter(person_id=person_id).first()
    if found is None:
        raise RuleViolation("this person does not take part in the decision", field="person_id")
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={})
        found.delete()
        _audit_participants(actor, row, "remove_participant", person_id)
    return _to_decision(row)


# ---------------------------------------------------------------------------------------------- stances


def sign_stance(*, actor: Actor, decision_id: int, stance: Stance | str, new_information: str = "") -> Decision:
    """Sign your own stance on a decision (MECHANISMS.md §7): agree; disagree and commit, saying what new
    information the dissent brings (required); or still disagree. Only the participant themself signs: anyone
    else, the owner and admins included, is refused (PermissionDenied). Signing again replaces the stance; the
    history keeps every signature. Not on a rejected or superseded decision. Raises RuleViolation naming the
    field (stance, new_information, state)."""
    row = _require_row(actor, decision_id)
    participant_ids = frozenset(row.participants.values_list("person_id", flat=True))
    _policy.require(actor, "sign", owner_id=row.owner_id, participant_ids=participant_ids)
    try:
        stance = Stance(stance)
    except ValueError:
        raise RuleViolation(f"stance must be one of {', '.join(s.value for s in Stance)}", field="stance") from None
    info = _text(new_information, "new_information", MAX_TEXT, required=False)
    if stance is Stance.DISAGREE_AND_COMMIT and not info:
        raise RuleViolation(
            "disagreeing and committing says what new information the dissent brings", field="new_information"
        )
    if row.status in FINAL:
        raise RuleViolation(f"decision {row.number} is {row.status}; stances are closed", field="state")
    participant = row.participants.get(person_id=actor.person_id)
    before = {"stance": participant.stance or None, "new_information": participant.new_information}
    with transaction.atomic():
        participant.stance, participant.new_information, participant.signed_at = stance.value, info, clock.now()
        participant.save(update_fields=["stance", "new_information", "signed_at"])
        audit_services.record_change(
            actor=actor,
            verb="sign_stance",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=_label(row),
            before={"participant_id": actor.person_id, **before},
            after={"participant_id": actor.person_id, "stance": stance.value, "new_information": info},
        )
        # The owner hears of every signature: a dissent is what they most need to read (title and link only).
        notifications_services.notify(
            actor=actor,
            recipients=[row.owner_id],
            kind=KIND_STANCE,
            title=f"{actor.label} {STANCE_WORDS[stance]}: {row.question}"[:200],
            url=f"/decisions/{row.number}",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
        )
    return _to_decision(row)


# ---------------------------------------------------------------------------------------------- transitions


def apply_transition(
    *, actor: Actor, decision_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> Decision:
    """Take one transition of the declared machine (decisions/machines.py) with its input, in the order of
    kernel/machine_apply.py: the version read (409), the state, the guard (a high-impact decision needs its
    review accepted or overridden) and the party (only the owner: 403), the input (400 naming the field), the
    compare-and-set, the audit record, the notices. The API, the CLI and the pages call this."""
    row = _require_row(actor, decision_id)
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def decide_decision(
    *,
    actor: Actor,
    decision_id: int,
    version: int,
    chosen_option: int,
    decision: str,
    decided_on: dt.date | None = None,
) -> Decision:
    """Decide (proposed -> accepted): the owner names the chosen option (its number) and writes the decision;
    `decided_on` defaults to today. A high-impact decision needs its bar-raiser review accepted or overridden."""
    raw = {
        "chosen_option": chosen_option,
        "decision": decision,
        "decided_on": decided_on.isoformat() if decided_on else "",
    }
    return apply_transition(actor=actor, decision_id=decision_id, version=version, transition="decide", values=raw)


def reject_decision(*, actor: Actor, decision_id: int, version: int, reason: str) -> Decision:
    """Reject a proposed decision, saying why. The owner only."""
    return apply_transition(
        actor=actor, decision_id=decision_id, version=version, transition="reject", values={"reason": reason}
    )


def deprecate_decision(*, actor: Actor, decision_id: int, version: int, reason: str) -> Decision:
    """Deprecate a decided decision, saying why. The owner only."""
    return apply_transition(
        actor=actor, decision_id=decision_id, version=version, transition="deprecate", values={"reason": reason}
    )


def supersede_decision(*, actor: Actor, decision_id: int, version: int, by_number: int, note: str = "") -> Decision:
    """Mark a decided (or deprecated) decision superseded by a newer one, named by its number. The owner only."""
    return apply_transition(
        actor=actor,
        decision_id=decision_id,
        version=version,
        transition="supersede",
        values={"by_number": by_number, "note": note},
    )


# ---------------------------------------------------------------------------------------------- outcome


def record_outcome(*, actor: Actor, decision_id: int, outcome: Outcome | str, note: str = "", version: int) -> Decision:
    """Record the later outcome review (MECHANISMS.md §7): right, partly right, wrong, or too early to tell (which
    keeps the revisit open). The owner or their manager (anyone above them in the chain), only once decided.
    A stale version is a Conflict. Raises RuleViolation naming the field (outcome, note, status)."""
    row = _require_row(actor, decision_id)
    _policy.require(actor, "record_outcome", owner_id=row.owner_id)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise RuleViolation(f"outcome must be one of {', '.join(o.value for o in Outcome)}", field="outcome") from None
    note = _text(note, "note", MAX_TEXT, required=outcome in (Outcome.WRONG, Outcome.PARTLY_RIGHT))
    if Status(row.status) not in DECIDED_STATUSES:
        raise RuleViolation(f"decision {row.number} is {row.status}; an outcome follows a decision", field="status")
    _check_version(row, version)
    before = _audit_view(_to_decision(row))
    with transaction.atomic():
        update_versioned(
            row,
            expected_version=version,
            changes={
                "outcome": outcome.value,
                "outcome_note": note,
                "outcome_at": clock.now(),
                "outcome_by_id": actor.person_id,
            },
        )
        decision = _to_decision(row)
        audit_services.record_change(
            actor=actor,
            verb="record_outcome",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=_label(row),
            before=before,
            after=_audit_view(decision),
            reason=note,
        )
    return decision


def track_record(*, actor: Actor, owner_id: int | None = None) -> list[TrackRecordLine]:
    """Per owner, how often they were right (MECHANISMS.md §7: "right a lot" seen per owner): decisions decided,
    outcomes reviewed (right, partly right, wrong; "too early" is not reviewed), and the share of reviewed ones
    that were right. Ordered by decided, then owner."""
    qs = _visible(actor).filter(status__in=[s.value for s in DECIDED_STATUSES])
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for owner, outcome in qs.values_list("owner_id", "outcome"):
        line = counts[owner]
        line["decided"] += 1
        if outcome in {o.value for o in REVIEWED_OUTCOMES}:
            line["reviewed"] += 1
            line[outcome] += 1
    lines = [
        TrackRecordLine(
            owner_id=owner,
            decided=c["decided"],
            reviewed=c["reviewed"],
            right=c[Outcome.RIGHT.value],
            partly_right=c[Outcome.PARTLY_RIGHT.value],
            wrong=c[Outcome.WRONG.value],
            right_share=round(c[Outcome.RIGHT.value] / c["reviewed"], 3) if c["reviewed"] else None,
        )
        for owner, c in counts.items()
    ]
    return sorted(lines, key=lambda line: (-line.decided, line.owner_id))


# ---------------------------------------------------------------------------------------------- reads


def get_decision(*, actor: Actor, decision_id: int) -> Decision:
    """One decision by id. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_decision(_require_row(actor, decision_id))


def find_decision(*, actor: Actor, number: int) -> Decision | None:
    """A decision by its number (what pages and MADR file names show), or None."""
    row = _visible(actor).filter(number=number).first() if isinstance(number, int) else None
    return _to_decision(row) if row is not None else None


def decision_view(*, actor: Actor, decision_id: int) -> DecisionView:
    """A decision as this viewer sees it: the transitions they may take now, whether they may edit, sign and
    record the outcome, and the bar-raiser review's id and state."""
    row = _require_row(actor, decision_id)
    ctx = _Context(actor, row)
    review = ctx.review
    participant_ids = frozenset(p.person_id for p in row.participants.all())
    parties = _policy.parties(actor, row.owner_id)
    facts = _facts(ctx)
    held = ""
    if row.status == Status.PROPOSED.value and parties:  # the owner: say why `decide` is not offered
        refusal = machines.check(MACHINE, "decide", facts, parties)
        held = refusal.message if refusal is not None else ""
    return DecisionView(
        decision=_to_decision(row),
        actions=machines.available(MACHINE, facts, parties),
        can_edit=row.status not in FINAL and _policy.can(actor, "edit", owner_id=row.owner_id),
        can_record_outcome=Status(row.status) in DECIDED_STATUSES
        and _policy.can(actor, "record_outcome", owner_id=row.owner_id),
        can_sign=row.status not in FINAL
        and _policy.can(actor, "sign", owner_id=row.owner_id, participant_ids=participant_ids),
        review_id=review.id if review else None,
        review_state=review.state.value if review else None,
        held=held,
        supersedes=tuple(
            DecisionRow.objects.filter(superseded_by_id=row.id).order_by("number").values_list("number", flat=True)
        ),
    )


def list_decisions(
    *,
    actor: Actor,
    owner_id: int | None = None,
    team_id: int | None = None,
    status: Status | str | None = None,
    category: Category | str | None = None,
    text: str | None = None,
    participant_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Decision]:
    """The decision log, newest first, filtered by owner, team, status, category, participant and words of the
    question, context or decision. Paginated. Raises RuleViolation naming a bad filter."""
    qs = _visible(actor)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if status:
        qs = qs.filter(status=_enum(Status, status, "status").value)
    if category:
        qs = qs.filter(category=_enum(Category, category, "category").value)
    if participant_id is not None:
        qs = qs.filter(participants__person_id=participant_id)
    if text:
        words = _text(text, "text", 200, required=False)
        qs = qs.filter(Q(question__icontains=words) | Q(context__icontains=words) | Q(decision__icontains=words))
    qs = qs.order_by("-number").prefetch_related("options", "participants")
    return paginate(qs, limit=limit, offset=offset, convert=_to_decision)


def revisit_due(subject_ids: set[int]) -> set[int]:
    """Which of these decisions still owe their revisit (no outcome recorded, or "too early"; not rejected or
    superseded): the deadlines helper asks before it reminds the owner, so a reviewed decision is never reminded."""
    return set(
        DecisionRow.objects.filter(pk__in=subject_ids, outcome__in=["", Outcome.TOO_EARLY.value])
        .exclude(status__in=FINAL)
        .values_list("id", flat=True)
    )


def describe_subject(actor: Actor, subject_id: int) -> Subject:
    """A decision as the subject of a bar-raiser review (bar_raisers' registry): the owner and the owning team,
    which the bar raiser must be independent of; the participants may not take the seat either."""
    row = _require_row(actor, subject_id)
    return _subject(row)


def acts_for_owner(actor: Actor, subject_id: int) -> bool:
    """Nobody answers a decision's bar-raiser review for its owner: the single owner accepts or overrides it
    (MECHANISMS.md §4, §7), so this says no for everyone else (bar_raisers asks it for non-owners only)."""
    return False


# ---------------------------------------------------------------------------------------------- MADR


def import_decisions(*, actor: Actor, records: Sequence[DecisionImport]) -> list[Decision]:
    """Import decision records read from files (a MADR import: workflows.madr_io), all or nothing: every record is
    checked before anything is written, and a bad one is a RuleViolation naming its source, the field and, in
    `details`, `file` and `field`; nothing is written. Each keeps its status and decision as the file says (an
    import records history, it does not re-decide), its single owner and participants without a stance, and the
    file's layout for the export. Admins, or anyone importing decisions they own themselves."""
    org_services.require_signed_in(actor)
    if not records:
        raise RuleViolation("give at least one decision to import", field="files")
    plans = []
    for record in records:
        try:
            plans.append(_clean_import(actor, record))
        except RuleViolation as exc:
            raise _file_error(record.source, None, exc.field or "file", exc.message) from None
        except NotFound as exc:
            raise _file_error(record.source, None, exc.field or "file", exc.message) from None
    created = []
    try:
        with transaction.atomic():
            number = _next_number()
            for record, values, options in plans:
                row = _import_row(actor, record, values, options, number)
                number += 1
                created.append(_to_decision(row))
    except IntegrityError:  # another writer took one of the numbers meanwhile (PostgreSQL): nothing was written
        raise Conflict("another decision was recorded during the import; nothing was imported: try again") from None
    return created


def decision_layout(*, actor: Actor, decision_id: int) -> dict[str, Any] | None:
    """The layout of the file a decision was imported from (what it held that we do not model), or None."""
    row = _require_row(actor, decision_id)
    layout = (row.extra or {}).get("layout")
    return dict(layout) if isinstance(layout, dict) else None


# ---------------------------------------------------------------------------------------------- private helpers


def _visible(actor: Actor):
    """The one visibility chokepoint (decisions.policy): every signed-in person reads every decision."""
    return _policy.visible_to(actor, DecisionRow.objects.all())


def _require_row(actor: Actor, decision_id: Any) -> DecisionRow:
    row = _visible(actor).filter(pk=decision_id).first() if isinstance(decision_id, int) else None
    if row is None:
        raise NotFound(f"decision {decision_id} does not exist", field="decision_id")
    return row


def _check_version(row: DecisionRow, version: int) -> None:
    if row.version != version:
        raise Conflict(
            f"decision {row.number} was changed by someone else (you read version {version}, it is now "
            f"{row.version}); reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )


def _next_number() -> int:
    return (DecisionRow.objects.aggregate(n=Max("number"))["n"] or 0) + 1


def _create_numbered(**fields: Any) -> DecisionRow:
    """A new decision row with the next free number. Two writers reading the same next number at once (possible on
    PostgreSQL; SQLite's immediate transactions queue writers) meet the unique constraint: the loser tries the
    next number, inside a savepoint, rather than failing with a 500."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return DecisionRow.objects.create(number=_next_number(), **fields)
        except IntegrityError:
            continue
    raise Conflict("other decisions were being recorded at the same moment; try again", field="number")


def _enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleViolation(f"{field} must be one of {', '.join(m.value for m in kind)}", field=field) from None


def _clean_fields(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    """The given editable fields, checked; RuleViolation naming the first bad one."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "question":
            out[key] = _text(value, "question", 300)
        elif key in ("context", "consequences"):
            out[key] = _text(value, key, MAX_TEXT, required=False)
        elif key == "door":
            out[key] = _enum(Door, value, "door").value
        elif key == "category":
            out[key] = _enum(Category, value, "category").value
        elif key == "high_impact":
            if not isinstance(value, bool):
                raise RuleViolation("high_impact must be true or false", field="high_impact")
            out[key] = value
        elif key == "team_id":
            if value is not None and (
                not isinstance(value, int) or not org_services.get_teams(actor=actor, ids=[value])
            ):
                raise NotFound(f"team {value} does not exist", field="team_id")
            out[key] = value
        elif key == "revisit_on":
            if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
                raise RuleViolation("revisit_on must be a date", field="revisit_on")
            out[key] = value
        else:
            raise RuleViolation(f"{key} cannot be changed", field=key)
    return out


def _clean_options(options: Sequence[OptionInput] | None) -> list[tuple[str, str]]:
    options = list(options or ())
    if len(options) > MAX_OPTIONS:
        raise RuleViolation(f"a decision considers at most {MAX_OPTIONS} options", field="options")
    cleaned, seen = [], set()
    for i, option in enumerate(options, 1):
        title = _text(getattr(option, "title", None), f"options[{i}].title", 300)
        description = _text(getattr(option, "description", ""), f"options[{i}].description", MAX_TEXT, required=False)
        if title.lower() in seen:
            raise RuleViolation(f"option {title!r} is given twice", field=f"options[{i}].title")
        seen.add(title.lower())
        cleaned.append((title, description))
    return cleaned


def _check_high_impact(high_impact: bool, category: str) -> None:
    if high_impact and Category(category) not in REVIEWED_CATEGORIES:
        raise RuleViolation(
            "a high-impact decision is a design, architecture or customer-experience decision (its bar-raiser "
            "review is of that kind)",
            field="category",
        )


def _require_people(actor: Actor, ids: Iterable[Any], field: str) -> None:
    ids = list(ids)
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise RuleViolation(f"{field} must be person ids", field=field)
    found = org_services.get_people(actor=Actor.system("decisions"), ids=ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"person {missing[0]} does not exist", field=field)


def _clean_participants(actor: Actor, ids: Iterable[Any], owner_id: int, field: str = "participant_ids") -> list[int]:
    people = list(dict.fromkeys(ids))
    if len(people) > MAX_PARTICIPANTS:
        raise RuleViolation(f"a decision has at most {MAX_PARTICIPANTS} participants", field=field)
    _require_people(actor, people, field)
    if owner_id in people:
        raise RuleViolation("the owner decides; they are not their own participant", field=field)
    return people


def _label(row: DecisionRow) -> str:
    return f"#{row.number} {row.question}"[:200]


def _audit_participants(actor: Actor, row: DecisionRow, verb: str, person_id: int) -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=_label(row),
        after={"participant_id": person_id, "version": row.version},
    )


def _ask_to_sign(actor: Actor, row: DecisionRow, people: Iterable[int]) -> None:
    """Participants are asked to sign their stance: the title and the link (MECHANISMS.md cross-cutting)."""
    people = [p for p in people if p != actor.person_id]
    if people:
        notifications_services.notify(
            actor=actor,
            recipients=people,
            kind=KIND_SIGN,
            title=f"Sign your stance: {row.question}"[:200],
            url=f"/decisions/{row.number}",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
        )


def _track_revisit(actor: Actor, row: DecisionRow, *, fresh: bool = False) -> None:
    """The revisit date (MECHANISMS.md §7): from its morning the owner is reminded weekly until the outcome is
    recorded (`revisit_due`); after each week more the next manager up the owner's chain hears of it."""
    if row.revisit_on is None:
        if not fresh:
            notifications_services.clear_deadline(actor=actor, subject_type=SUBJECT_TYPE, subject_id=row.id)
        return
    notifications_services.track_deadline(
        actor=actor,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        due_at=timezone.make_aware(dt.datetime.combine(row.revisit_on, dt.time.min)),
        owner_ids={row.owner_id},
        title=f"Revisit decision #{row.number}: {row.question}"[:200],
        kind=KIND_REVISIT,
        url=f"/decisions/{row.number}",
        remind_every=dt.timedelta(days=7),
        escalate_after=REVISIT_ESCALATE_AFTER,
        escalate_from_id=row.owner_id,
        fresh=fresh,
    )


def _subject(row: DecisionRow) -> Subject:
    return Subject(
        kind=SubjectKind(row.category),
        id=row.id,
        title=f"Decision #{row.number}: {row.question}"[:200],
        owner_id=row.owner_id,
        team_ids=(row.team_id,) if row.team_id else (),
        excluded_ids=tuple(row.participants.values_list("person_id", flat=True)),
        url=f"/decisions/{row.number}",
    )


def _request_review(actor: Actor, row: DecisionRow) -> None:
    """A high-impact decision gets a bar-raiser review (MECHANISMS.md §4), requested for its owner; the pool picks
    an independent bar raiser with room (none: the write is refused, naming why)."""
    bar_raisers_services.request_review(
        actor=actor, subject=_subject(row), question=f"Should we decide: {row.question}"[:5000]
    )


def _review(row: DecisionRow):
    if Category(row.category) not in REVIEWED_CATEGORIES:
        return None
    return bar_raisers_services.review_for(
        actor=Actor.system("decisions"), subject_kind=SubjectKind(row.category), subject_id=row.id
    )


class _Context:
    """What one transition reads about a decision, once: the review, the option count, the newer decision."""

    def __init__(self, actor: Actor, row: DecisionRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()
        self._review: Any = ...
        self.option_count = row.options.count()

    @property
    def review(self):
        if self._review is ...:
            self._review = _review(self.row) if self.row.high_impact else None
        return self._review

    def decision_by_number(self, number: int) -> DecisionRow | None:
        return DecisionRow.objects.filter(number=number).first()


def _facts(ctx: _Context) -> DecisionFacts:
    review = ctx.review
    return DecisionFacts(
        state=ctx.row.status,
        high_impact=ctx.row.high_impact,
        review_state=review.state.value if review is not None else None,
        option_count=ctx.option_count,
    )


def _snapshot(ctx: _Context) -> dict[str, Any]:
    return _audit_view(_to_decision(ctx.row))


def _record(step: machine_apply.Step) -> Decision:
    ctx: _Context = step.context
    row = ctx.row
    decision = _to_decision(row)
    audit_services.record_change(
        actor=ctx.actor,
        verb=step.transition.name,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=_label(row),
        before=step.before,
        after=_audit_view(decision),
        reason=step.note,
    )
    people = [p.person_id for p in decision.participants]
    words = step.transition.words_for(step.transition.notice, step.to_state) or step.transition.name
    if people:
        notifications_services.notify(
            actor=ctx.actor,
            recipients=people,
            kind=KIND_UPDATE,
            title=f"Decision #{row.number} {words}: {row.question}"[:200],
            url=f"/decisions/{row.number}",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
        )
    return decision


_BINDING = machine_apply.Binding(
    machine=MACHINE,
    load=_Context,
    facts=_facts,
    parties=lambda ctx: _policy.parties(ctx.actor, ctx.row.owner_id),
    snapshot=_snapshot,
    record=_record,
    state_field="status",
)


def _file_error(name: str, line: int | None, field: str, message: str) -> RuleViolation:
    where = f"{name}:{line}" if line else name
    return RuleViolation(
        f"{where}: {field}: {message}", field="files", details={"file": name, "line": line, "field": field}
    )


def _clean_import(actor: Actor, record: DecisionImport) -> tuple[DecisionImport, dict[str, Any], list]:
    status = _enum(Status, record.status, "status")
    owner = record.owner_id
    if owner != actor.person_id and not actor.is_admin:
        raise PermissionDenied(f"{record.source}: only an admin imports decisions owned by someone else", field="owner")
    _require_people(actor, [owner], "decision-makers")
    participants = _clean_participants(actor, record.participant_ids, owner, field="decision-makers")
    options = _clean_options(record.options)
    chosen = record.chosen_option
    if chosen is not None and not (isinstance(chosen, int) and 1 <= chosen <= len(options)):
        raise RuleViolation("the chosen option is none of the considered options", field="chosen_option")
    values = {
        "question": _text(record.question, "title", 300),
        "context": _text(record.context, "context", MAX_TEXT, required=False),
        "decision": _text(record.decision, "decision", MAX_TEXT, required=False),
        "consequences": _text(record.consequences, "consequences", MAX_TEXT, required=False),
        "status": status.value,
        "chosen_option": chosen,
        "decided_on": record.decided_on,
        "owner_id": owner,
        "participants": participants,
    }
    return record, values, options


def _import_row(
    actor: Actor, record: DecisionImport, values: dict[str, Any], options: list, number: int
) -> DecisionRow:
    participants = values.pop("participants")
    row = DecisionRow.objects.create(
        number=number,
        slug=slugify(values["question"])[:120] or "decision",
        extra={"layout": dict(record.layout or {}), "source": record.source[:300]},
        **values,
    )
    OptionRow.objects.bulk_create(
        [OptionRow(decision=row, position=i, title=t, description=d) for i, (t, d) in enumerate(options, 1)]
    )
    ParticipantRow.objects.bulk_create([ParticipantRow(decision=row, person_id=p) for p in participants])
    audit_services.record_change(
        actor=actor,
        verb="import",
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=_label(row),
        after=_audit_view(_to_decision(row)),
        reason=f"imported from {record.source}"[:500],
    )
    return row


def _audit_view(decision: Decision) -> dict[str, Any]:
    return {
        "question": decision.question,
        "context": decision.context,
        "options": [o.title for o in decision.options],
        "decision": decision.decision,
        "chosen_option": decision.chosen_option,
        "owner_id": decision.owner_id,
        "team_id": decision.team_id,
        "door": decision.door.value,
        "status": decision.status.value,
        "category": decision.category.value,
        "high_impact": decision.high_impact,
        "decided_on": decision.decided_on.isoformat() if decision.decided_on else None,
        "consequences": decision.consequences,
        "revisit_on": decision.revisit_on.isoformat() if decision.revisit_on else None,
        "outcome": decision.outcome.value if decision.outcome else None,
        "superseded_by_id": decision.superseded_by_id,
        "participants": [p.person_id for p in decision.participants],
        "version": decision.version,
    }


def _to_decision(row: DecisionRow) -> Decision:
    return Decision(
        id=DecisionId(row.id),
        number=row.number,
        slug=row.slug,
        question=row.question,
        context=row.context,
        options=tuple(Option(o.position, o.title, o.description) for o in row.options.all()),
        decision=row.decision,
        chosen_option=row.chosen_option,
        owner_id=row.owner_id,
        team_id=row.team_id,
        door=Door(row.door),
        status=Status(row.status),
        category=Category(row.category),
        high_impact=row.high_impact,
        decided_on=row.decided_on,
        consequences=row.consequences,
        revisit_on=row.revisit_on,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_note=row.outcome_note,
        outcome_at=row.outcome_at,
        outcome_by_id=row.outcome_by_id,
        superseded_by_id=row.superseded_by_id,
        participants=tuple(
            Participant(p.person_id, Stance(p.stance) if p.stance else None, p.new_information, p.signed_at)
            for p in row.participants.all()
        ),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
