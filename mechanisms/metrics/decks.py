"""Private: the third part's services (WBR decks, their rows, build, commentary, exceptions first, snapshots and
exports). services.py re-exports the public ones; the figures come from rules.build_deck over data.py's inputs,
so a deck page, its exports, its snapshots and `mech decks build` all show the same numbers.

Who may do what is policy.py (third part). Every write is one transaction with its audit record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.markdown import render as render_markdown
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import data, history, rules
from . import policy as _policy
from .contracts import (
    Box,
    Comparison,
    Deck,
    DeckLine,
    DeckResult,
    DeckSpec,
    DeckView,
    DeckViewRow,
    Direction,
    Gap,
    Note,
    RowComparison,
    RowResult,
    Snapshot,
    SnapshotComparison,
)
from .models import Commentary as CommentaryRow
from .models import Deck as DeckRow
from .models import DeckRow as DeckLineRow
from .models import Metric as MetricRow
from .models import Snapshot as SnapshotRow

DECK_SUBJECT = history.DECK
KIND_NOTE = "metrics.note"
notifications_services.declare_kinds(kinds=[KIND_NOTE])
MAX_ROWS = 12  # a deck of 6-12 charts (MECHANISMS.md §8): 1..12 allowed, fewer than 6 warned on the page
FEW_ROWS = 6
MAX_NOTE = 10000
MAX_TITLE = 200
MAX_DESCRIPTION = 10000
BOX_KEYS = tuple(f.name for f in dataclasses.fields(Box))
_NO_CHANGE: Any = object()


# ---------------------------------------------------------------------------------------------- decks


def create_deck(
    *,
    actor: Actor,
    slug: str,
    title: str,
    unit_id: int | None = None,
    team_id: int | None = None,
    week_ends_on: int | None = None,
    fiscal_year_end_month: int | None = None,
    description: str = "",
    owner_id: int | None = None,
) -> Deck:
    org_services.require_signed_in(actor)
    if owner_id is None:
        if actor.person_id is None:
            raise RuleViolation("name the deck's owner (this account is no person)", field="owner_id")
        owner_id = actor.person_id
    elif owner_id != actor.person_id and not actor.is_admin:
        raise PermissionDenied("only an admin creates a deck for another owner", field="owner_id")
    else:
        org_services.get_person(actor=actor, person_id=owner_id)
    values = _clean_deck_fields(
        {
            "slug": slug,
            "title": title,
            "week_ends_on": data.week_ends_on() if week_ends_on is None else week_ends_on,
            "fiscal_year_end_month": data.fiscal_year_end_month()
            if fiscal_year_end_month is None
            else fiscal_year_end_month,
            "description": description,
        }
    )
    if (unit_id is None) == (team_id is None):
        raise RuleViolation("a deck reviews one org unit or one team: name exactly one", field="unit_id")
    if unit_id is not None:
        org_services.get_org_unit(actor=actor, org_unit_id=unit_id)
    else:
        org_services.get_team(actor=actor, team_id=team_id)
    _policy.require_create_deck(actor, unit_id=unit_id, team_id=team_id)
    with transaction.atomic():
        if DeckRow.objects.filter(slug=values["slug"]).exists():
            raise Conflict(f"a deck named {values['slug']!r} exists already", field="slug")
        try:
            with transaction.atomic():
                row = DeckRow.objects.create(unit_id=unit_id, team_id=team_id, owner_id=owner_id, **values)
        except IntegrityError:
            raise Conflict(f"a deck named {values['slug']!r} exists already", field="slug") from None
        deck = _to_deck(row, [])
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=DECK_SUBJECT,
            subject_id=row.pk,
            subject_label=row.title,
            after=_audit_deck(deck),
        )
    return deck


def change_deck(
    *,
    actor: Actor,
    deck_id: int,
    version: int,
    title: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    week_ends_on: int | None = None,
    fiscal_year_end_month: int | None = None,
) -> Deck:
    row = _deck_row(actor, deck_id)
    _policy.require_deck_change(actor, owner_id=row.owner_id)
    wanted = {
        k: v
        for k, v in {
            "title": title,
            "slug": slug,
            "description": description,
            "week_ends_on": week_ends_on,
            "fiscal_year_end_month": fiscal_year_end_month,
        }.items()
        if v is not None
    }
    values = _clean_deck_fields(wanted)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if row.version != version:
        raise Conflict(
            f"deck {row.slug} was changed by someone else (you read version {version}, it is now {row.version})",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )
    if not changed:
        return get_deck(actor=actor, deck_id=deck_id)
    before = _audit_deck(_to_deck(row, []))
    with transaction.atomic():
        if "slug" in changed and DeckRow.objects.filter(slug=changed["slug"]).exclude(pk=row.pk).exists():
            raise Conflict(f"a deck named {changed['slug']!r} exists already", field="slug")
        update_versioned(row, expected_version=version, changes=changed)
        deck = _to_deck(row, _lines(row.pk))
        audit_services.record_change(
            actor=actor,
            verb="update",
            subject_type=DECK_SUBJECT,
            subject_id=row.pk,
            subject_label=row.title,
            before=before,
            after=_audit_deck(deck),
        )
    return deck


def set_deck_rows(
    *, actor: Actor, deck_id: int, version: int, rows: Sequence[tuple[int, str, str]] | Sequence[Sequence[Any]]
) -> Deck:
    row = _deck_row(actor, deck_id)
    _policy.require_deck_change(actor, owner_id=row.owner_id)
    cleaned: list[tuple[int, str, str]] = []
    for i, item in enumerate(rows):
        parts = tuple(item)
        if not parts or len(parts) > 3:
            raise RuleViolation(f"row {i + 1}: give (metric_id, label, number_format)", field=f"rows[{i}]")
        metric_id = parts[0]
        if isinstance(metric_id, bool) or not isinstance(metric_id, int):
            raise RuleViolation(f"row {i + 1}: metric_id must be a number", field=f"rows[{i}].metric_id")
        label = clean_text(parts[1] if len(parts) > 1 else "", f"rows[{i}].label", MAX_TITLE, required=False)
        fmt = clean_text(parts[2] if len(parts) > 2 else "", f"rows[{i}].number_format", 24, required=False)
        cleaned.append((metric_id, label, fmt))
    if not cleaned:
        raise RuleViolation("a deck shows at least one metric", field="rows")
    if len(cleaned) > MAX_ROWS:
        raise RuleViolation(f"a deck shows at most {MAX_ROWS} metrics (6-12 charts)", field="rows")
    ids = [m for m, _, _ in cleaned]
    if len(set(ids)) != len(ids):
        dup = next(i for i, m in enumerate(ids) if ids.index(m) != i)
        raise RuleViolation(f"row {dup + 1}: metric {ids[dup]} is already in the deck", field=f"rows[{dup}].metric_id")
    known = dict(MetricRow.objects.filter(pk__in=ids).values_list("pk", "retired_on"))
    for i, metric_id in enumerate(ids):
        if metric_id not in known:
            raise RuleViolation(f"row {i + 1}: metric {metric_id} does not exist", field=f"rows[{i}].metric_id")
    before = _audit_deck(_to_deck(row, _lines(row.pk)))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={})
        DeckLineRow.objects.filter(deck_id=row.pk).delete()
        DeckLineRow.objects.bulk_create(
            [
                DeckLineRow(deck_id=row.pk, metric_id=m, position=i, label=label, number_format=fmt)
                for i, (m, label, fmt) in enumerate(cleaned, 1)
            ]
        )
        deck = _to_deck(row, _lines(row.pk))
        audit_services.record_change(
            actor=actor,
            verb="set_rows",
            subject_type=DECK_SUBJECT,
            subject_id=row.pk,
            subject_label=row.title,
            before=before,
            after=_audit_deck(deck),
        )
    return deck


def get_deck(*, actor: Actor, deck_id: int) -> Deck:
    row = _deck_row(actor, deck_id)
    return _to_deck(row, _lines(row.pk))


def find_deck(*, actor: Actor, slug: str) -> Deck | None:
    org_services.require_signed_in(actor)
    row = DeckRow.objects.filter(slug=slug).first() if isinstance(slug, str) else None
    return _to_deck(row, _lines(row.pk)) if row is not None else None


def list_decks(
    *,
    actor: Actor,
    unit_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Deck]:
    org_services.require_signed_in(actor)
    qs = DeckRow.objects.all()
    if unit_ids is not None or team_ids is not None:
        from django.db.models import Q

        qs = qs.filter(Q(unit_id__in=list(unit_ids or ())) | Q(team_id__in=list(team_ids or ())))
    found = paginate(qs.order_by("title", "id"), limit=limit, offset=offset, convert=lambda r: r)
    lines = _lines_of([r.pk for r in found.items])
    return found.map(lambda r: _to_deck(r, lines.get(r.pk, [])))


def metric_ids_by_name(*, names: Iterable[str]) -> dict[str, int]:
    """The ids of the named metrics (the deck's rows page names them); unknown names are left out."""
    wanted = [n for n in names if isinstance(n, str)]
    return dict(MetricRow.objects.filter(name__in=wanted).values_list("name", "pk"))


# ---------------------------------------------------------------------------------------------- weeks


def last_ended_week(week_ends_on: int | None = None, today: dt.date | None = None) -> dt.date:
    """The last day of the last complete week (ending on `week_ends_on`, default the company's) before today."""
    ends = data.week_ends_on() if week_ends_on is None else week_ends_on
    return rules.last_ended_week(today or clock.today(), ends)


def _week(deck: DeckRow, week_ending: dt.date | str | None) -> dt.date:
    if week_ending is None:
        return last_ended_week(deck.week_ends_on)
    if isinstance(week_ending, str):
        try:
            week_ending = dt.date.fromisoformat(week_ending)
        except ValueError:
            raise RuleViolation("week_ending must be a date (YYYY-MM-DD)", field="week_ending") from None
    if isinstance(week_ending, dt.datetime) or not isinstance(week_ending, dt.date):
        raise RuleViolation("week_ending must be a date (YYYY-MM-DD)", field="week_ending")
    if week_ending.weekday() != deck.week_ends_on:
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        raise RuleViolation(
            f"this deck's weeks end on a {names[deck.week_ends_on]}; {week_ending} is a {names[week_ending.weekday()]}",
            field="week_ending",
        )
    if week_ending.year < 1900 or week_ending.year > 9000:
        raise RuleViolation("week_ending is out of range", field="week_ending")
    return week_ending


def _range_start(week_ending: dt.date) -> dt.date:
    """The first day the engine may read: two years before the week's month starts. The prior year's fiscal year
    start and the prior year's trailing twelve months both begin later than that."""
    return dt.date(week_ending.year - 2, week_ending.month, 1)


# ---------------------------------------------------------------------------------------------- build


def build_deck(
    *, actor: Actor, deck_id: int, week_ending: dt.date | str | None = None, exceptions_first: bool = False
) -> DeckView:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    week = _week(deck, week_ending)
    result, metrics = _compute(deck, week)
    lines = _lines(deck.pk)
    notes = {n.metric_id: n for n in _notes(deck.pk, week)}
    by_name = {m.name: m for m in metrics}
    view_rows = []
    for row in result.rows:
        metric = by_name.get(row.name)
        if metric is None:
            continue
        note = notes.get(metric.pk)
        view_rows.append(
            DeckViewRow(
                result=row,
                metric_id=metric.pk,
                owner_id=metric.owner_id,
                team_id=metric.team_id,
                note=note,
                needs_note=bool(row.exception) and note is None,
            )
        )
    if exceptions_first:
        view_rows.sort(key=lambda r: 0 if r.result.exception else 1)  # stable: deck order within each group
    waiting = tuple(dict.fromkeys(r.owner_id for r in view_rows if r.needs_note))
    last = last_ended_week(deck.week_ends_on)
    following = week + dt.timedelta(days=7)
    return DeckView(
        deck=_to_deck(deck, lines),
        result=result,
        rows=tuple(view_rows),
        waiting_on=waiting,
        previous_week=week - dt.timedelta(days=7),
        next_week=following if following <= last else None,
        exceptions_first=exceptions_first,
    )


def _compute(deck: DeckRow, week: dt.date) -> tuple[DeckResult, list[MetricRow]]:
    lines = list(DeckLineRow.objects.filter(deck_id=deck.pk).select_related("metric").order_by("position"))
    metrics = [line.metric for line in lines]
    specs, everything = data.rows_for(
        metrics,
        labels={line.metric_id: line.label for line in lines if line.label},
        formats={line.metric_id: line.number_format for line in lines if line.number_format},
    )
    series = data.series_for(everything, start=_range_start(week), end=week)
    spec = DeckSpec(
        week_ending=week,
        rows=specs,
        series=series,
        fiscal_year_end_month=deck.fiscal_year_end_month,
        title=deck.title,
    )
    return rules.build_deck(spec), metrics


# ---------------------------------------------------------------------------------------------- commentary


def comment_on_metric(
    *,
    actor: Actor,
    deck_id: int,
    metric_id: int,
    week_ending: dt.date | str,
    body: str,
    version: int | None = None,
) -> Note:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    week = _week(deck, week_ending)
    text = clean_text(body, "body", MAX_NOTE)
    line = (
        DeckLineRow.objects.filter(deck_id=deck.pk, metric_id=metric_id).select_related("metric").first()
        if isinstance(metric_id, int) and not isinstance(metric_id, bool)
        else None
    )
    if line is None:
        raise RuleViolation(f"metric {metric_id} is not a row of this deck", field="metric_id")
    metric = line.metric
    _policy.require_comment(
        actor, metric_owner_id=metric.owner_id, metric_team_id=metric.team_id, deck_owner_id=deck.owner_id
    )
    with transaction.atomic():
        existing = CommentaryRow.objects.filter(deck_id=deck.pk, metric_id=metric.pk, week_ending=week).first()
        before = None
        if existing is None:
            if version is not None:
                raise Conflict("this note was not written yet; reload and try again", field="version")
            try:
                with transaction.atomic():
                    note = CommentaryRow.objects.create(
                        deck_id=deck.pk, metric_id=metric.pk, week_ending=week, author_id=actor.person_id, body=text
                    )
            except IntegrityError:
                raise Conflict(
                    "someone else wrote this note a moment ago; reload and try again", field="version"
                ) from None
        else:
            if version is None:
                raise Conflict(
                    f"a note exists already (version {existing.version}); reload and edit it", field="version"
                )
            before = {"body": existing.body, "author_id": existing.author_id}
            changes = {"body": text, "author_id": actor.person_id}
            note = update_versioned(existing, expected_version=version, changes=changes)
        audit_services.record_change(
            actor=actor,
            verb="comment" if before is None else "update_comment",
            subject_type=DECK_SUBJECT,
            subject_id=deck.pk,
            subject_label=deck.title,
            before=before,
            after={"metric": metric.name, "week_ending": week.isoformat(), "body": text},
        )
        if deck.owner_id and deck.owner_id != actor.person_id:
            notifications_services.notify(
                actor=actor,
                recipients=[deck.owner_id],
                kind=KIND_NOTE,
                title=f"{actor.label} commented on {metric.title} (week ending {week})"[:200],
                url=f"/wbr/{deck.slug}?week={week.isoformat()}#metric-{metric.pk}",
                subject_type=DECK_SUBJECT,
                subject_id=deck.pk,
            )
    return _to_note(note)


def list_commentary(
    *,
    actor: Actor,
    deck_id: int,
    week_ending: dt.date | str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Note]:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    qs = CommentaryRow.objects.filter(deck_id=deck.pk)
    if week_ending is not None:
        qs = qs.filter(week_ending=_week(deck, week_ending))
    return paginate(qs.order_by("-week_ending", "metric_id"), limit=limit, offset=offset, convert=_to_note)


# ---------------------------------------------------------------------------------------------- snapshots


def take_snapshot(*, actor: Actor, deck_id: int, week_ending: dt.date | str | None = None) -> Snapshot:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    _policy.require_deck_change(actor, owner_id=deck.owner_id)
    week = _week(deck, week_ending)
    if week > last_ended_week(deck.week_ends_on):
        raise RuleViolation(f"the week ending {week} has not ended yet", field="week_ending")
    existing = SnapshotRow.objects.filter(deck_id=deck.pk, week_ending=week).first()
    if existing is not None:
        return _to_snapshot(existing)  # idempotent per (deck, week): the first one stays as it was
    if not DeckLineRow.objects.filter(deck_id=deck.pk).exists():
        raise RuleViolation("the deck has no rows yet", field="rows")
    payload = _freeze(deck, week)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = SnapshotRow.objects.create(
                    deck_id=deck.pk, week_ending=week, payload=payload, taken_by_id=actor.person_id
                )
        except IntegrityError:
            return _to_snapshot(SnapshotRow.objects.get(deck_id=deck.pk, week_ending=week))
        audit_services.record_change(
            actor=actor,
            verb="snapshot",
            subject_type=DECK_SUBJECT,
            subject_id=deck.pk,
            subject_label=deck.title,
            after={"week_ending": week.isoformat()},
        )
    return _to_snapshot(row)


def take_due_snapshots(*, actor: Actor) -> int:
    """The worker's job: each deck with rows gets its snapshot of the last ended week once (idempotent); returns
    how many snapshots were taken now."""
    org_services.require_admin(actor, "take the weekly snapshots")
    taken = 0
    for deck in DeckRow.objects.filter(rows__isnull=False).distinct().order_by("id"):
        week = last_ended_week(deck.week_ends_on)
        if SnapshotRow.objects.filter(deck_id=deck.pk, week_ending=week).exists():
            continue
        take_snapshot(actor=actor, deck_id=deck.pk, week_ending=week)
        taken += 1
    return taken


def list_snapshots(
    *, actor: Actor, deck_id: int, limit: int | None = None, offset: int | None = None
) -> Page[Snapshot]:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    qs = SnapshotRow.objects.filter(deck_id=deck.pk).order_by("-week_ending")
    return paginate(qs, limit=limit, offset=offset, convert=_to_snapshot)


def get_snapshot(*, actor: Actor, deck_id: int, week_ending: dt.date | str) -> Snapshot:
    org_services.require_signed_in(actor)
    deck = _deck_row(actor, deck_id)
    week = _week(deck, week_ending)
    row = SnapshotRow.objects.filter(deck_id=deck.pk, week_ending=week).first()
    if row is None:
        raise NotFound(f"no snapshot of {deck.slug} for the week ending {week}", field="week_ending")
    return _to_snapshot(row)


def snapshot_result(snapshot: Snapshot) -> DeckResult:
    """The frozen engine result of a snapshot, for drawing it as it was presented."""
    return thaw_result(snapshot.payload["result"])


def compare_snapshots(
    *, actor: Actor, deck_id: int, week_a: dt.date | str, week_b: dt.date | str
) -> SnapshotComparison:
    a = get_snapshot(actor=actor, deck_id=deck_id, week_ending=week_a)
    b = get_snapshot(actor=actor, deck_id=deck_id, week_ending=week_b)
    rows_a = {r["name"]: r for r in a.payload["result"]["rows"]}
    rows_b = {r["name"]: r for r in b.payload["result"]["rows"]}
    notes_a = {n["metric_name"]: n["body"] for n in a.payload.get("commentary", [])}
    notes_b = {n["metric_name"]: n["body"] for n in b.payload.get("commentary", [])}
    order = list(rows_a) + [n for n in rows_b if n not in rows_a]
    compared = []
    for name in order:
        ra, rb = rows_a.get(name), rows_b.get(name)
        box_a = ra["box"] if ra else None
        box_b = rb["box"] if rb else None
        changed = tuple(k for k in BOX_KEYS if (box_a or {}).get(k) != (box_b or {}).get(k)) if ra and rb else ()
        if ra and rb and notes_a.get(name, "") != notes_b.get(name, ""):
            changed += ("commentary",)
        compared.append(
            RowComparison(
                name=name,
                label=(rb or ra or {}).get("label", name),
                box_a=box_a,
                box_b=box_b,
                changed=changed,
                note_a=notes_a.get(name, ""),
                note_b=notes_b.get(name, ""),
            )
        )
    return SnapshotComparison(
        deck_id=a.deck_id,
        week_a=a.week_ending,
        week_b=b.week_ending,
        rows=tuple(compared),
        added=tuple(n for n in rows_b if n not in rows_a),
        removed=tuple(n for n in rows_a if n not in rows_b),
    )


def _freeze(deck: DeckRow, week: dt.date) -> dict[str, Any]:
    result, metrics = _compute(deck, week)
    by_id = {m.pk: m for m in metrics}
    notes = [
        {
            "metric_id": n.metric_id,
            "metric_name": by_id[n.metric_id].name if n.metric_id in by_id else str(n.metric_id),
            "author_id": n.author_id,
            "body": n.body,
            "html": n.html,
        }
        for n in _notes(deck.pk, week)
    ]
    return {
        "deck": rules.deck_to_dict(result),
        "result": freeze_result(result),
        "commentary": notes,
        "completeness": {
            r.name: [{"period": g.period, "missing": len(g.missing), "blank": len(g.blank)} for g in r.gaps]
            for r in result.rows
        },
        "owners": {m.name: {"metric_id": m.pk, "owner_id": m.owner_id} for m in metrics},
        "taken_at": clock.now().isoformat(),
    }


def freeze_result(result: DeckResult) -> dict[str, Any]:
    """The engine's result as plain JSON (dates as ISO text), read back by `thaw_result`."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if hasattr(value, "value") and isinstance(value.value, str):
            return value.value
        return value

    return {f.name: plain(_asdict(getattr(result, f.name))) for f in dataclasses.fields(result)}


def _asdict(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _asdict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_asdict(v) for v in value]
    return value


def thaw_result(frozen: Mapping[str, Any]) -> DeckResult:
    def day(text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    rows = []
    for r in frozen["rows"]:
        rows.append(
            RowResult(
                name=r["name"],
                label=r["label"],
                comparison=Comparison(r["comparison"]),
                number_format=r["number_format"],
                week_endings=tuple(day(d) for d in r["week_endings"]),
                weeks_cy=tuple(r["weeks_cy"]),
                weeks_py=tuple(r["weeks_py"]),
                months=tuple(day(d) for d in r["months"]),
                months_cy=tuple(r["months_cy"]),
                months_py=tuple(r["months_py"]),
                partial_month=r["partial_month"],
                box=Box(**{k: r["box"].get(k) for k in BOX_KEYS}),
                weeks_plan=tuple(r.get("weeks_plan", ())),
                months_plan=tuple(r.get("months_plan", ())),
                gaps=tuple(
                    Gap(
                        period=g["period"],
                        missing=tuple(day(d) for d in g["missing"]),
                        blank=tuple(day(d) for d in g["blank"]),
                        metric=g.get("metric", ""),
                        before_first_day=g.get("before_first_day", False),
                    )
                    for g in r.get("gaps", ())
                ),
                exception=r.get("exception"),
                direction=Direction(r.get("direction", "up")),
            )
        )
    return DeckResult(
        title=frozen["title"],
        week_ending=day(frozen["week_ending"]),
        week_number=frozen["week_number"],
        fiscal_year_end_month=frozen["fiscal_year_end_month"],
        rows=tuple(rows),
        notes=tuple(frozen.get("notes", ())),
    )


# ---------------------------------------------------------------------------------------------- exports


def export_deck(
    *, actor: Actor, deck_id: int, week_ending: dt.date | str | None = None, format: str = "json"
) -> tuple[bytes, str, str]:
    """The built deck as a file: (content, media type, file name). JSON is the engine's deck_to_dict (issue 12's
    keys under `metrics`) with the week's commentary; HTML is one self-contained file; PDF is that HTML printed."""
    import json

    if format not in ("json", "html", "pdf"):
        raise RuleViolation("format is json, html or pdf", field="format")
    view = build_deck(actor=actor, deck_id=deck_id, week_ending=week_ending)
    name = f"{view.deck.slug}-{view.result.week_ending.isoformat()}"
    if format == "json":
        body = dict(rules.deck_to_dict(view.result))
        body["commentary"] = {r.result.name: r.note.body for r in view.rows if r.note is not None}
        return json.dumps(body, indent=2, default=str).encode(), "application/json", f"{name}.json"
    html = deck_document(view)
    if format == "html":
        return html.encode(), "text/html; charset=utf-8", f"{name}.html"
    from mechanisms.kernel.pdf import html_to_pdf

    return html_to_pdf(html), "application/pdf", f"{name}.pdf"


def deck_document(view: DeckView) -> str:
    """The whole deck as one self-contained HTML document (charts.deck_html), with the week's commentary."""
    from . import charts

    notes = {r.result.name: r.note.html for r in view.rows if r.note is not None}
    return charts.deck_html(view.result, commentary=notes)


# ---------------------------------------------------------------------------------------------- helpers


def _deck_row(actor: Actor, deck_id: Any) -> DeckRow:
    org_services.require_signed_in(actor)
    if isinstance(deck_id, bool) or not isinstance(deck_id, int):
        raise NotFound(f"deck {deck_id} does not exist", field="deck_id")
    row = DeckRow.objects.filter(pk=deck_id).first()
    if row is None:
        raise NotFound(f"deck {deck_id} does not exist", field="deck_id")
    return row


def _clean_deck_fields(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "slug" in values:
        raw = clean_text(values["slug"], "slug", 80)
        slug = slugify(raw)
        if not slug or slug != raw.lower() or slug in ("new",):
            raise RuleViolation("slug is lowercase letters, digits and dashes (not 'new')", field="slug")
        out["slug"] = slug
    if "title" in values:
        out["title"] = clean_text(values["title"], "title", MAX_TITLE)
    if "description" in values:
        out["description"] = clean_text(values["description"], "description", MAX_DESCRIPTION, required=False)
    if "week_ends_on" in values:
        w = values["week_ends_on"]
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 6:
            raise RuleViolation("week_ends_on is 0 (Monday) to 6 (Sunday)", field="week_ends_on")
        out["week_ends_on"] = w
    if "fiscal_year_end_month" in values:
        m = values["fiscal_year_end_month"]
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
            raise RuleViolation("fiscal_year_end_month is 1 to 12", field="fiscal_year_end_month")
        out["fiscal_year_end_month"] = m
    return out


def _lines(deck_id: int) -> list[DeckLine]:
    return _lines_of([deck_id]).get(deck_id, [])


def _lines_of(deck_ids: list[int]) -> dict[int, list[DeckLine]]:
    out: dict[int, list[DeckLine]] = {}
    rows = (
        DeckLineRow.objects.filter(deck_id__in=deck_ids)
        .order_by("deck_id", "position")
        .values_list("deck_id", "position", "metric_id", "metric__name", "label", "number_format")
    )
    for deck_id, position, metric_id, name, label, fmt in rows:
        out.setdefault(deck_id, []).append(
            DeckLine(position=position, metric_id=metric_id, metric_name=name, label=label, number_format=fmt)
        )
    return out


def _notes(deck_id: int, week: dt.date) -> list[Note]:
    return [_to_note(n) for n in CommentaryRow.objects.filter(deck_id=deck_id, week_ending=week)]


def _to_deck(row: DeckRow, lines: list[DeckLine]) -> Deck:
    return Deck(
        id=row.pk,
        slug=row.slug,
        title=row.title,
        unit_id=row.unit_id,
        team_id=row.team_id,
        owner_id=row.owner_id,
        week_ends_on=row.week_ends_on,
        fiscal_year_end_month=row.fiscal_year_end_month,
        description=row.description,
        version=row.version,
        rows=tuple(lines),
    )


def _to_note(row: CommentaryRow) -> Note:
    return Note(
        id=row.pk,
        deck_id=row.deck_id,
        metric_id=row.metric_id,
        week_ending=row.week_ending,
        author_id=row.author_id,
        body=row.body,
        html=render_markdown(row.body),
        version=row.version,
        updated_at=row.updated_at,
    )


def _to_snapshot(row: SnapshotRow) -> Snapshot:
    return Snapshot(
        id=row.pk,
        deck_id=row.deck_id,
        week_ending=row.week_ending,
        taken_by_id=row.taken_by_id,
        created_at=row.created_at,
        payload=row.payload,
    )


def _audit_deck(deck: Deck) -> dict[str, Any]:
    return {
        "slug": deck.slug,
        "title": deck.title,
        "description": deck.description,
        "week_ends_on": deck.week_ends_on,
        "fiscal_year_end_month": deck.fiscal_year_end_month,
        "rows": [line.metric_name for line in deck.rows],
    }
