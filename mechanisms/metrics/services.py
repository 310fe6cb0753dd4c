"""Public services of the metrics app (MECHANISMS.md §8). Keyword-only, typed; every write is one transaction with
its audit record (DESIGN.md §4). Reads go through `policy.visible_to`.

Sections, in order: the registry (metrics, revisions, lineage, plans); data (loads, pushes, SQL pulls,
completeness); decks (build, commentary, exceptions, snapshots); goals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, importing, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import data, history, loading, rules
from . import decks as _decks
from . import goal_progress as goal_progress_rules
from . import policy as _policy
from . import sql as _sql
from .contracts import (
    DEFINITION_FIELDS,
    Aggregation,
    Comparison,
    Completeness,
    Direction,
    Engine,
    Goal,
    GoalChanges,
    GoalId,
    GoalMeasure,
    GoalMix,
    GoalMixLine,
    GoalProgress,
    GoalState,
    GoalStatus,
    GoalView,
    Grain,
    Kind,
    LineageLink,
    LineageView,
    LoadReport,
    MetricChanges,
    MetricRevisionView,
    MetricView,
    Period,
    PlanRow,
    PullReport,
    SeriesView,
    Source,
    SqlSourceView,
    ValuePoint,
    WeekCompleteness,
)
from .machines import MACHINE as GOAL_MACHINE
from .machines import GoalFacts
from .models import DataLoad, DataPoint, SqlSource
from .models import Goal as GoalRow
from .models import Metric as MetricRow
from .models import MetricRevision as MetricRevisionRow
from .models import PlanValue as PlanValueRow

_SYSTEM = Actor.system("metrics")

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

METRIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/ ]*")
MAX_DEFINITION = 20000
# A metric's page is /metrics/<name>; these last segments after a "/" are the data part's sub-pages (metrics/urls.py).
RESERVED_LAST_SEGMENTS = frozenset({"data", "loads", "sql", "completeness"})
COMPOUND_WORDS = (
    "a compound metric (a weighted blend of other metrics) is refused: a metric is measured, or it is the ratio "
    'of two base metrics\' period sums, written {"ratio": {"numerator": NAME, "denominator": NAME}}'
)


def define_metric(
    *,
    actor: Actor,
    name: str,
    title: str,
    kind: Kind | str,
    definition: str,
    unit: str = "",
    direction: Direction | str = Direction.UP,
    owner_id: int,
    team_id: int,
    lever: str = "",
    aggregation: Aggregation | str = Aggregation.SUM,
    comparison: Comparison | str = Comparison.PERCENT,
    grain: Grain | str = Grain.DAY,
    number_format: str = "",
    formula: Mapping[str, Any] | None = None,
    evolved_from_id: int | None = None,
    evolution_reason: str = "",
) -> MetricView:
    """Define a metric of the registry (MECHANISMS.md §8); revision 1 keeps its whole definition. The members and
    leader of the team, or an admin, define it. An input metric must be controllable by its team: a `lever` (how
    the team moves it) and an owner who is a member or the leader of the team. A compound metric (a weighted blend
    of metrics) is refused; `formula` may only be a ratio of two base metrics' period sums. Lineage: the metric it
    evolved from must exist, with the reason. Raises RuleViolation naming the field, PermissionDenied, NotFound."""
    org_services.require_signed_in(actor)
    clean_name = _metric_name(name)
    values = _clean_definition(
        actor,
        {
            "title": title,
            "kind": kind,
            "definition": definition,
            "unit": unit,
            "direction": direction,
            "owner_id": owner_id,
            "team_id": team_id,
            "lever": lever,
            "aggregation": aggregation,
            "comparison": comparison,
            "grain": grain,
            "number_format": number_format,
            "formula": formula,
            "evolved_from_id": evolved_from_id,
            "evolution_reason": evolution_reason,
        },
        name=clean_name,
        row=None,
    )
    _policy.require_define_metric(actor, team_id=values["team_id"])
    if MetricRow.objects.filter(name__iexact=clean_name).exists():
        raise RuleViolation(f"a metric named {clean_name!r} already exists", field="name")
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = MetricRow.objects.create(name=clean_name, revision=1, **_row_values(values))
        except IntegrityError:
            raise RuleViolation(f"a metric named {clean_name!r} already exists", field="name") from None
        MetricRevisionRow.objects.create(
            metric=row, number=1, fields=_revision_fields(row), reason="defined", author_id=actor.person_id
        )
        view = _to_metric_view(row)
        _audit_metric(actor, "create", row, after=_metric_audit(view))
    return view


def revise_metric(*, actor: Actor, metric_id: int, version: int, reason: str, changes: MetricChanges) -> MetricView:
    """Revise a metric's definition: the given fields change and a new revision n+1 keeps the whole definition (the
    earlier ones stay readable, so a goal set against revision n is judged against it, never met by redefining the
    metric). The reason is required. Its owner, the members and leader of its team, or an admin (moving it to another
    team also needs the right to define metrics there). Not a retired metric. A stale version is a Conflict.
    Raises RuleViolation naming the field, PermissionDenied, NotFound."""
    row = _require_metric_row(actor, metric_id)
    _policy.require_change_metric(actor, row)
    why = _text(reason, "reason", MAX_DEFINITION)
    if row.retired_on is not None:
        raise RuleViolation(f"metric {row.name} was retired on {row.retired_on}; it is no longer revised", field="name")
    _check_metric_version(row, version)
    wanted = given(changes)
    if not wanted:
        raise RuleViolation("name at least one field to change", field="changes")
    current = _current_definition(row)
    merged = {**current, **wanted}
    values = _clean_definition(actor, merged, name=row.name, row=row)
    if values["team_id"] != row.team_id:
        _policy.require_define_metric(actor, team_id=values["team_id"])
    if values.get("numerator_id") and MetricRow.objects.filter(Q(numerator=row) | Q(denominator=row)).exists():
        raise RuleViolation(f"{row.name} is an operand of a ratio metric; it stays a base metric", field="formula")
    new_values = _row_values(values)
    changed = {k: v for k, v in new_values.items() if getattr(row, k) != v}
    if not changed:
        raise RuleViolation("these changes leave the definition as it is", field="changes")
    before = _metric_audit(_to_metric_view(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={**changed, "revision": row.revision + 1})
        MetricRevisionRow.objects.create(
            metric=row, number=row.revision, fields=_revision_fields(row), reason=why, author_id=actor.person_id
        )
        view = _to_metric_view(row)
        _audit_metric(actor, "revise", row, before=before, after=_metric_audit(view), reason=why)
    return view


def retire_metric(*, actor: Actor, metric_id: int, version: int, reason: str = "") -> MetricView:
    """Retire a metric from today: it stays readable with its revisions, data and lineage, and is no longer
    revised or planned. Who may change it; a stale version is a Conflict; retiring twice is a RuleViolation."""
    row = _require_metric_row(actor, metric_id)
    _policy.require_change_metric(actor, row)
    why = _text(reason, "reason", MAX_DEFINITION, required=False)
    if row.retired_on is not None:
        raise RuleViolation(f"metric {row.name} was already retired on {row.retired_on}", field="retired_on")
    _check_metric_version(row, version)
    before = _metric_audit(_to_metric_view(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={"retired_on": clock.today()})
        view = _to_metric_view(row)
        _audit_metric(actor, "retire", row, before=before, after=_metric_audit(view), reason=why)
    return view


def _audit_metric(actor: Actor, verb: str, row: MetricRow, *, after: Any, before: Any = None, reason: str = "") -> None:
    """One change of a metric (its definition, plan, data or SQL source) in its history."""
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=history.METRIC,
        subject_id=row.pk,
        subject_label=row.name,
        before=before,
        after=after,
        reason=reason,
    )


def get_metric(*, actor: Actor, metric_id: int) -> MetricView:
    """One metric by id. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_metric_view(_require_metric_row(actor, metric_id))


def find_metric(*, actor: Actor, name: str) -> MetricView | None:
    """A metric by its name (exact, then ignoring case), or None."""
    row = _find_metric_row(actor, name)
    return _to_metric_view(row) if row is not None else None


def get_metric_by_name(*, actor: Actor, name: str) -> MetricView:
    """A metric by its name. Raises NotFound naming `name`."""
    found = find_metric(actor=actor, name=name)
    if found is None:
        raise NotFound(f"no metric is named {name!r}", field="name")
    return found


def list_metrics(
    *,
    actor: Actor,
    kind: Kind | str | None = None,
    team_id: int | None = None,
    owner_id: int | None = None,
    text: str | None = None,
    retired: bool | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[MetricView]:
    """The registry by name, filtered by kind, team, owner, words of the name, title or definition, and retired or
    not (None: both). Paginated. Raises RuleViolation naming a bad filter."""
    qs = _metric_filter(actor, kind=kind, team_id=team_id, owner_id=owner_id, text=text, retired=retired)
    found = paginate(qs.order_by("name"), limit=limit, offset=offset, convert=lambda r: r)
    views = _to_metric_views(list(found.items))
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


def count_metrics(
    *, actor: Actor, team_id: int | None = None, text: str | None = None, retired: bool | None = None
) -> dict[str, int]:
    """How many metrics of each kind (input, output) match the filters: the registry's input vs output counts."""
    qs = _metric_filter(actor, kind=None, team_id=team_id, owner_id=None, text=text, retired=retired)
    counts = {k.value: 0 for k in Kind}
    for kind, n in qs.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"):
        counts[kind] = n
    return counts


def list_revisions(
    *, actor: Actor, metric_id: int, limit: int | None = None, offset: int | None = None
) -> Page[MetricRevisionView]:
    """A metric's revisions, newest first, each with the fields that changed from the one before. Paginated."""
    row = _require_metric_row(actor, metric_id)
    found = paginate(row.revisions.order_by("-number"), limit=limit, offset=offset, convert=lambda r: r)
    items = list(found.items)
    numbers = {r.number - 1 for r in items} - {r.number for r in items}
    earlier = {r.number: r for r in row.revisions.filter(number__in=numbers)}
    by_number = {**earlier, **{r.number: r for r in items}}
    people = _people_names({r.author_id for r in items if r.author_id})
    views = [_to_revision_view(r, by_number.get(r.number - 1), people) for r in items]
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


def get_revision(*, actor: Actor, metric_id: int, number: int) -> MetricRevisionView:
    """One revision of a metric's definition. Raises NotFound naming `number`."""
    row = _require_metric_row(actor, metric_id)
    found = row.revisions.filter(number=number).first() if isinstance(number, int) else None
    if found is None:
        raise NotFound(f"metric {row.name} has no revision {number}", field="number")
    before = row.revisions.filter(number=number - 1).first()
    return _to_revision_view(found, before, _people_names({found.author_id} if found.author_id else set()))


def lineage(*, actor: Actor, metric_id: int) -> LineageView:
    """Where a metric comes from (its ancestors, oldest first, each with why it evolved) and every metric that
    evolved from it, directly or through others (breadth first)."""
    row = _require_metric_row(actor, metric_id)
    parents = dict(MetricRow.objects.values_list("id", "evolved_from_id"))
    ancestors_ids: list[int] = []
    node = parents.get(row.pk)
    while node is not None and node not in ancestors_ids and node != row.pk:
        ancestors_ids.append(node)
        node = parents.get(node)
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    descendant_ids: list[int] = []
    queue = sorted(children.get(row.pk, []))
    while queue:
        child = queue.pop(0)
        if child in descendant_ids or child == row.pk:
            continue
        descendant_ids.append(child)
        queue.extend(sorted(children.get(child, [])))
    rows = {r.pk: r for r in MetricRow.objects.filter(pk__in=[*ancestors_ids, *descendant_ids, row.pk])}
    names = {pk: r.name for pk, r in rows.items()}

    def link(r: MetricRow) -> LineageLink:
        parent = names.get(r.evolved_from_id) if r.evolved_from_id else None
        if r.evolved_from_id and parent is None:
            parent = MetricRow.objects.filter(pk=r.evolved_from_id).values_list("name", flat=True).first()
        return LineageLink(
            metric_id=r.pk,
            name=r.name,
            title=r.title,
            evolved_from=parent,
            reason=r.evolution_reason,
            retired_on=r.retired_on,
        )

    return LineageView(
        metric=link(rows[row.pk]),
        ancestors=tuple(link(rows[i]) for i in reversed(ancestors_ids)),
        descendants=tuple(link(rows[i]) for i in descendant_ids),
    )


def set_plan(
    *,
    actor: Actor,
    metric_id: int,
    values: Sequence[tuple[Period | str, dt.date, dt.date, float]],
    replace: bool = False,
) -> list[PlanRow]:
    """Set a metric's plan values, all or nothing: each (period, start, end, value) must be a real week (7 days),
    calendar month, fiscal quarter (3 whole months) or fiscal year (12 whole months), with a finite value; a
    period given twice is refused. A period already planned gets the new value; `replace` also removes the plan
    values not given. Who may change the metric; not a retired metric. Returns the whole plan."""
    row = _require_metric_row(actor, metric_id)
    _policy.require_change_metric(actor, row)
    if row.retired_on is not None:
        raise RuleViolation(f"metric {row.name} is retired; it is no longer planned", field="values")
    cleaned = _clean_plan(values)
    before = {"plan": [_plan_audit(p) for p in _plan_rows(row)]}
    with transaction.atomic():
        if replace:
            row.plan_values.all().delete()
        for period, start, end, value in cleaned:
            PlanValueRow.objects.update_or_create(
                metric=row, period=period, start=start, defaults={"end": end, "value": value}
            )
        plan = _plan_rows(row)
        _audit_metric(
            actor,
            "set_plan",
            row,
            before=before,
            after={"plan": [_plan_audit(p) for p in plan], "revision": row.revision},
        )
    return plan


def list_plan(
    *,
    actor: Actor,
    metric_id: int,
    period: Period | str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[PlanRow]:
    """A metric's plan values by period and start. Paginated."""
    row = _require_metric_row(actor, metric_id)
    qs = row.plan_values.order_by("period", "start")
    if period:
        qs = qs.filter(period=_enum(Period, period, "period").value)
    return paginate(qs, limit=limit, offset=offset, convert=_to_plan_row)


# ------------------------------------------------------------------------------- the registry: private helpers


def _metric_qs(actor: Actor):
    """The one visibility chokepoint (metrics.policy): every signed-in person reads the registry."""
    return _policy.visible_to(actor, MetricRow.objects.all())


def _require_metric_row(actor: Actor, metric_id: Any) -> MetricRow:
    ok = isinstance(metric_id, int) and not isinstance(metric_id, bool)
    row = _metric_qs(actor).filter(pk=metric_id).first() if ok else None
    if row is None:
        raise NotFound(f"metric {metric_id} does not exist", field="metric_id")
    return row


def _find_metric_row(actor: Actor, name: Any) -> MetricRow | None:
    if not isinstance(name, str) or not name.strip():
        return None
    qs = _metric_qs(actor)
    return qs.filter(name=name.strip()).first() or qs.filter(name__iexact=name.strip()).first()


def _check_metric_version(row: MetricRow, version: Any) -> None:
    if row.version != version:
        raise Conflict(
            f"metric {row.name} was changed by someone else (you read version {version}, it is now "
            f"{row.version}); reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )


def _metric_filter(actor: Actor, *, kind, team_id, owner_id, text, retired):
    qs = _metric_qs(actor)
    if kind:
        qs = qs.filter(kind=_enum(Kind, kind, "kind").value)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if retired is not None:
        qs = qs.filter(retired_on__isnull=not retired)
    if text:
        words = _text(text, "text", 200, required=False)
        qs = qs.filter(Q(name__icontains=words) | Q(title__icontains=words) | Q(definition__icontains=words))
    return qs


def _enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleViolation(f"{field} must be one of {', '.join(m.value for m in kind)}", field=field) from None


def _metric_name(name: Any) -> str:
    text = _text(name, "name", 120)
    if not METRIC_NAME.fullmatch(text):
        raise RuleViolation(
            "name may hold letters, digits, spaces and . _ - / only, and starts with a letter or digit", field="name"
        )
    last = text.rsplit("/", 1)[-1].lower() if "/" in text else None
    if text.lower() == "new" or last in RESERVED_LAST_SEGMENTS:
        raise RuleViolation(f"{text!r} is kept for the metric pages' own addresses; choose another name", field="name")
    return text


def _int_id(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleViolation(f"{field} must be an id", field=field)
    return value


def _current_definition(row: MetricRow) -> dict[str, Any]:
    """The row's definition in the shape define_metric takes (what a revision merges its changes into)."""
    formula = None
    if row.numerator_id and row.denominator_id:
        names = dict(MetricRow.objects.filter(pk__in=[row.numerator_id, row.denominator_id]).values_list("id", "name"))
        formula = {"ratio": {"numerator": names[row.numerator_id], "denominator": names[row.denominator_id]}}
    return {
        "title": row.title,
        "kind": row.kind,
        "definition": row.definition,
        "unit": row.unit,
        "direction": row.direction,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "lever": row.lever,
        "aggregation": row.aggregation,
        "comparison": row.comparison,
        "grain": row.grain,
        "number_format": row.number_format,
        "formula": formula,
        "evolved_from_id": row.evolved_from_id,
        "evolution_reason": row.evolution_reason,
    }


def _clean_definition(actor: Actor, raw: Mapping[str, Any], *, name: str, row: MetricRow | None) -> dict[str, Any]:
    """The whole definition checked (the registry's rules, MECHANISMS.md §8); RuleViolation naming the first bad
    field. Returns row values (formula resolved to numerator_id / denominator_id)."""
    out: dict[str, Any] = {
        "title": _text(raw["title"], "title", 200),
        "kind": _enum(Kind, raw["kind"], "kind").value,
        "definition": _text(raw["definition"], "definition", MAX_DEFINITION),
        "unit": _text(raw["unit"], "unit", 40, required=False),
        "direction": _enum(Direction, raw["direction"], "direction").value,
        "lever": _text(raw["lever"], "lever", MAX_DEFINITION, required=False),
        "aggregation": _enum(Aggregation, raw["aggregation"], "aggregation").value,
        "comparison": _enum(Comparison, raw["comparison"], "comparison").value,
        "grain": _enum(Grain, raw["grain"], "grain").value,
        "number_format": _text(raw["number_format"], "number_format", 24, required=False),
        "evolution_reason": _text(raw["evolution_reason"], "evolution_reason", MAX_DEFINITION, required=False),
    }
    owner_id = _int_id(raw["owner_id"], "owner_id")
    team_id = _int_id(raw["team_id"], "team_id")
    owner = org_services.get_people(actor=_SYSTEM, ids=[owner_id]).get(owner_id)
    if owner is None:
        raise NotFound(f"person {owner_id} does not exist", field="owner_id")
    if not owner.active:
        raise RuleViolation(f"{owner.name} is not active; a metric's owner watches it daily", field="owner_id")
    team = org_services.get_teams(actor=_SYSTEM, ids=[team_id]).get(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    out["owner_id"], out["team_id"] = owner_id, team_id
    if out["kind"] == Kind.INPUT.value:
        if not out["lever"]:
            raise RuleViolation(
                "an input metric is controllable by its team: say how the team moves it (lever)", field="lever"
            )
        if not _policy.person_in_team(owner_id, team_id):
            raise RuleViolation(
                f"an input metric is controllable by its team: its owner must be a member or the leader of {team.name}",
                field="owner_id",
            )
    out["numerator_id"], out["denominator_id"] = _clean_formula(actor, raw["formula"], name=name)
    if out["numerator_id"] and out["aggregation"] != Aggregation.SUM.value:
        raise RuleViolation(
            "a ratio metric divides its operands' period sums: its aggregation is sum", field="aggregation"
        )
    out["evolved_from_id"] = _clean_evolution(raw["evolved_from_id"], out["evolution_reason"], row=row)
    return out


def _clean_formula(actor: Actor, formula: Any, *, name: str) -> tuple[int | None, int | None]:
    """None (a measured metric), or a ratio of two base metrics' period sums; anything else is a compound metric
    and refused (weights, sums of metrics, blends, expressions)."""
    if formula is None or formula == {}:
        return None, None
    ratio = formula.get("ratio") if isinstance(formula, Mapping) and set(formula) == {"ratio"} else None
    if not (
        isinstance(ratio, Mapping)
        and set(ratio) == {"numerator", "denominator"}
        and all(isinstance(ratio[k], str) and ratio[k].strip() for k in ("numerator", "denominator"))
    ):
        raise RuleViolation(COMPOUND_WORDS, field="formula")
    ids = []
    for key in ("numerator", "denominator"):
        operand = ratio[key].strip()
        if operand.lower() == name.lower():
            raise RuleViolation(f"a ratio metric does not divide itself ({key} is {operand})", field="formula")
        found = _find_metric_row(actor, operand)
        if found is None:
            raise RuleViolation(f"the {key} {operand!r} is no metric of the registry", field="formula")
        if found.numerator_id:
            raise RuleViolation(
                f"the {key} {found.name} is itself a ratio: a ratio divides two base metrics ({COMPOUND_WORDS})",
                field="formula",
            )
        ids.append(found.pk)
    if ids[0] == ids[1]:
        raise RuleViolation("a ratio divides two different metrics", field="formula")
    return ids[0], ids[1]


def _clean_evolution(evolved_from_id: Any, reason: str, *, row: MetricRow | None) -> int | None:
    if evolved_from_id is None:
        if reason and row is None:
            raise RuleViolation("a reason for the evolution names the metric it evolved from", field="evolved_from_id")
        return None
    parent_id = _int_id(evolved_from_id, "evolved_from_id")
    if not MetricRow.objects.filter(pk=parent_id).exists():
        raise NotFound(f"metric {parent_id} does not exist", field="evolved_from_id")
    if not reason:
        raise RuleViolation("say why this metric evolved from the other (evolution_reason)", field="evolution_reason")
    if row is not None:
        parents = dict(MetricRow.objects.values_list("id", "evolved_from_id"))
        node: int | None = parent_id
        seen: set[int] = set()
        while node is not None and node not in seen:
            if node == row.pk:
                raise RuleViolation(
                    "lineage cannot loop: this metric would evolve from one of its own descendants",
                    field="evolved_from_id",
                )
            seen.add(node)
            node = parents.get(node)
    return parent_id


def _row_values(values: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "title", "kind", "definition", "unit", "direction", "owner_id", "team_id", "lever", "aggregation",
        "comparison", "grain", "number_format", "numerator_id", "denominator_id", "evolved_from_id",
        "evolution_reason",
    )  # fmt: skip
    return {k: values[k] for k in keys}


def _revision_fields(row: MetricRow) -> dict[str, Any]:
    """Every definitional field of the row as it is now (contracts.DEFINITION_FIELDS), operands by name."""
    current = _current_definition(row)
    evolved = current.pop("evolved_from_id")
    fields = {k: current[k] for k in DEFINITION_FIELDS if k in current}
    fields["evolved_from"] = (
        MetricRow.objects.filter(pk=evolved).values_list("name", flat=True).first() if evolved else None
    )
    return {k: fields.get(k) for k in DEFINITION_FIELDS}


def _people_names(ids: Iterable[int]) -> dict[int, str]:
    return {k: v.name for k, v in org_services.get_people(actor=_SYSTEM, ids=list(ids)).items()}


def _to_metric_views(rows: list[MetricRow]) -> list[MetricView]:
    people = _people_names({r.owner_id for r in rows})
    teams = {k: v.name for k, v in org_services.get_teams(actor=_SYSTEM, ids={r.team_id for r in rows}).items()}
    linked = {r.numerator_id for r in rows} | {r.denominator_id for r in rows} | {r.evolved_from_id for r in rows}
    linked.discard(None)
    names = dict(MetricRow.objects.filter(pk__in=linked).values_list("id", "name")) if linked else {}
    return [
        MetricView(
            id=r.pk,
            name=r.name,
            title=r.title,
            kind=Kind(r.kind),
            definition=r.definition,
            unit=r.unit,
            direction=Direction(r.direction),
            owner_id=r.owner_id,
            owner_name=people.get(r.owner_id, ""),
            team_id=r.team_id,
            team_name=teams.get(r.team_id, ""),
            lever=r.lever,
            aggregation=Aggregation(r.aggregation),
            comparison=Comparison(r.comparison),
            grain=Grain(r.grain),
            number_format=r.number_format,
            numerator_id=r.numerator_id,
            numerator=names.get(r.numerator_id) if r.numerator_id else None,
            denominator_id=r.denominator_id,
            denominator=names.get(r.denominator_id) if r.denominator_id else None,
            evolved_from_id=r.evolved_from_id,
            evolved_from=names.get(r.evolved_from_id) if r.evolved_from_id else None,
            evolution_reason=r.evolution_reason,
            revision=r.revision,
            retired_on=r.retired_on,
            version=r.version,
        )
        for r in rows
    ]


def _to_metric_view(row: MetricRow) -> MetricView:
    return _to_metric_views([row])[0]


def _metric_audit(view: MetricView) -> dict[str, Any]:
    return {
        "name": view.name,
        "title": view.title,
        "kind": view.kind.value,
        "definition": view.definition,
        "unit": view.unit,
        "direction": view.direction.value,
        "owner_id": view.owner_id,
        "team_id": view.team_id,
        "lever": view.lever,
        "aggregation": view.aggregation.value,
        "comparison": view.comparison.value,
        "grain": view.grain.value,
        "number_format": view.number_format,
        "numerator": view.numerator,
        "denominator": view.denominator,
        "evolved_from": view.evolved_from,
        "evolution_reason": view.evolution_reason,
        "revision": view.revision,
        "retired_on": view.retired_on.isoformat() if view.retired_on else None,
    }


def _to_revision_view(
    row: MetricRevisionRow, before: MetricRevisionRow | None, people: Mapping[int, str]
) -> MetricRevisionView:
    fields = dict(row.fields)
    earlier = dict(before.fields) if before is not None else {}
    changed = (
        {k: (earlier.get(k), fields.get(k)) for k in DEFINITION_FIELDS if earlier.get(k) != fields.get(k)}
        if before is not None
        else {}
    )
    return MetricRevisionView(
        metric_id=row.metric_id,
        number=row.number,
        fields=fields,
        changed=changed,
        reason=row.reason,
        author_id=row.author_id,
        author_name=people.get(row.author_id, "") if row.author_id else "",
        created_at=row.created_at,
    )


def _clean_plan(values: Any) -> list[tuple[str, dt.date, dt.date, float]]:
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise RuleViolation("values must be a list of (period, start, end, value)", field="values")
    if not values:
        raise RuleViolation("give at least one plan value", field="values")
    if len(values) > MAX_PLAN_VALUES:
        raise RuleViolation(f"a plan has at most {MAX_PLAN_VALUES} values at once", field="values")
    out, seen = [], set()
    for i, item in enumerate(values):
        where = f"values[{i}]"
        try:
            period, start, end, value = item
        except (TypeError, ValueError):
            raise RuleViolation(f"{where} must be (period, start, end, value)", field=where) from None
        period = _enum(Period, period, f"{where}.period").value
        for key, day in (("start", start), ("end", end)):
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise RuleViolation(f"{where}.{key} must be a date", field=f"{where}.{key}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise RuleViolation(f"{where}.value must be a finite number", field=f"{where}.value")
        problem = _period_problem(period, start, end)
        if problem:
            raise RuleViolation(f"{where}: {problem}", field=f"{where}.end")
        if (period, start) in seen:
            raise RuleViolation(f"{where}: the {period} from {start} is given twice", field=f"{where}.start")
        seen.add((period, start))
        out.append((period, start, end, float(value)))
    return out


MAX_PLAN_VALUES = 1000


def _month_end(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _period_problem(period: str, start: dt.date, end: dt.date) -> str:
    """Why (start, end) is not a real period of this kind ("" when it is). A week is 7 days ending on its last day;
    a month is a calendar month; a fiscal quarter 3 and a fiscal year 12 whole consecutive months (any fiscal year
    end: the month the year ends with is the deck's)."""
    if end < start:
        return "the end is before the start"
    if period == Period.WEEK.value:
        return "" if (end - start).days == 6 else "a week is 7 days, from its first to its last day"
    months = {Period.MONTH.value: 1, Period.QUARTER.value: 3, Period.YEAR.value: 12}[period]
    if start.day != 1:
        return f"a {period} starts on the first day of a month"
    last = start
    for _ in range(months - 1):
        last = _month_end(last) + dt.timedelta(days=1)
    if end != _month_end(last):
        return (
            f"a {period} is {months} whole month{'s' if months > 1 else ''}: from {start} it ends on {_month_end(last)}"
        )
    return ""


def _plan_rows(row: MetricRow) -> list[PlanRow]:
    return [_to_plan_row(p) for p in row.plan_values.order_by("period", "start")]


def _to_plan_row(row: PlanValueRow) -> PlanRow:
    return PlanRow(metric_id=row.metric_id, period=Period(row.period), start=row.start, end=row.end, value=row.value)


def _plan_audit(plan: PlanRow) -> dict[str, Any]:
    return {
        "period": plan.period.value,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "value": plan.value,
    }


# --- data: CSV loads, API pushes, SQL pulls, completeness ------------------------------------------------------
# Values are kept per metric and day (DataPoint); a load writes only what differs, so re-loading changes nothing.
# Every load is one transaction: the whole file is validated first, then authorized, then written in bulk, with one
# DataLoad row and one audit record per metric whose values it changed (not one per value).

# Audit verbs on the metric (history.METRIC_VERBS, second part): load (CSV), push (API), pull (SQL),
# set_sql_source and update_sql_source.
DATA_VERBS = {Source.CSV: "load", Source.API: "push", Source.SQL: "pull", Source.DEMO: "load"}
KIND_SQL_FAILED = "metrics.sql_failed"
notifications_services.declare_kinds(kinds=[KIND_SQL_FAILED])
MAX_PUSH = 10_000  # values in one API push
MAX_SERIES_DAYS = 366 * 5  # the longest range one series or completeness read covers
PULL_EVERY = dt.timedelta(minutes=15)  # how often the worker looks for due SQL sources (metrics.tasks)
_BULK = 2000


def _require_data_change(actor: Actor, row: MetricRow) -> None:
    """The metric's owner, its team's members and leader, and admins change its data and SQL source (policy)."""
    org_services.require_signed_in(actor)
    _policy.require_change_metric(actor, row)


def _week_days(metric: MetricRow) -> frozenset[int]:
    """The weekdays a weekly metric's values may be dated on: the days its decks end weeks on (any day when it is
    in no deck yet)."""
    return frozenset(metric.deck_rows.values_list("deck__week_ends_on", flat=True).distinct())


def _check_values_fit(metrics: dict[int, MetricRow], cells, problems: list[tuple[str, str]]) -> None:
    """Ratio metrics take no values (their operands do); weekly ones only on their decks' week ends."""
    weekly: dict[int, frozenset[int]] = {}
    for metric_id, where, day, _value in cells:
        metric = metrics[metric_id]
        if metric.numerator_id:
            problems.append((where, f"{metric.name} is a ratio of two metrics; load its numerator and denominator"))
            continue
        if metric.grain == "week":
            days = weekly.get(metric_id)
            if days is None:
                days = weekly[metric_id] = _week_days(metric)
            if days and day.weekday() not in days:
                names = ", ".join(calendar.day_name[d] for d in sorted(days))
                problems.append(
                    (
                        where,
                        f"{metric.name} is weekly: {day} is a {calendar.day_name[day.weekday()]}, not a week end "
                        f"of its decks ({names})",
                    )
                )
        if len(problems) >= loading.MAX_PROBLEMS:
            return


def _write_values(
    *,
    actor: Actor,
    source: Source,
    file_name: str,
    metrics: dict[int, MetricRow],
    values: dict[int, dict[dt.date, float | None]],
) -> LoadReport:
    """Write the values that differ from what is stored, in bulk; one DataLoad, one audit record per metric
    changed. Call inside the load's transaction."""
    added: list[DataPoint] = []
    changed_ids: list[int] = []
    counts = {pk: [0, 0, 0] for pk in values}  # added, changed, unchanged
    days = [d for per in values.values() for d in per]
    first, last = (min(days), max(days)) if days else (None, None)
    load = DataLoad.objects.create(
        source=source.value, actor_id=actor.person_id, file_name=file_name[:255], metric_ids=sorted(values)
    )
    stored: dict[tuple[int, dt.date], tuple[int, float | None]] = {}
    if first is not None:
        rows = DataPoint.objects.filter(metric_id__in=list(values), day__gte=first, day__lte=last).values_list(
            "pk", "metric_id", "day", "value"
        )
        stored = {(metric_id, day): (pk, value) for pk, metric_id, day, value in rows.iterator(chunk_size=5000)}
    for metric_id, per in values.items():
        count = counts[metric_id]
        for day, value in per.items():
            known = stored.get((metric_id, day))
            if known is None:
                added.append(DataPoint(metric_id=metric_id, day=day, value=value, load=load))
                count[0] += 1
            elif known[1] != value:
                changed_ids.append(known[0])
                added.append(DataPoint(metric_id=metric_id, day=day, value=value, load=load))
                count[1] += 1
            else:
                count[2] += 1
    # A changed value is replaced (delete and insert in bulk): far faster than a bulk UPDATE of many rows.
    for part in importing.chunks(changed_ids, _BULK):
        DataPoint.objects.filter(pk__in=part).delete()
    DataPoint.objects.bulk_create(added, batch_size=_BULK)
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    DataLoad.objects.filter(pk=load.pk).update(added=total[0], changed=total[1], unchanged=total[2])
    load.added, load.changed, load.unchanged = total
    changes = []
    for metric_id, (n_added, n_changed, n_unchanged) in counts.items():
        if not (n_added or n_changed):
            continue
        per = values[metric_id]
        changes.append(
            {
                "verb": DATA_VERBS[source],
                "subject_type": history.METRIC,
                "subject_id": metric_id,
                "subject_label": metrics[metric_id].name,
                "after": {
                    "load_id": load.pk,
                    "source": source.value,
                    "file_name": file_name,
                    "first_day": min(per).isoformat(),
                    "last_day": max(per).isoformat(),
                    "added": n_added,
                    "changed": n_changed,
                    "unchanged": n_unchanged,
                },
            }
        )
    if changes:  # one record per metric changed, in one statement
        audit_services.record_changes(actor=actor, changes=changes)
    return _to_load_report(load, names={pk: m.name for pk, m in metrics.items()}, first=first, last=last)


def load_values_csv(*, actor: Actor, content: bytes, file_name: str) -> LoadReport:
    """Load a CSV of values (docs/metrics.md, Data): long `date,metric,value` or wide `date,<metric>,...`, told
    apart by the header; a BOM is allowed, dates are ISO, an empty cell is a blank (None, never 0), a quoted
    number may have thousands separators. Every metric named must exist and the actor must be allowed to change
    each (MECHANISMS.md §8); a weekly metric's dates must be week ends of its decks.

    All or nothing: the whole file is validated first and every problem is reported with its line and field
    (ImportFailed, a RuleViolation whose details list them); then one transaction writes only the values that
    differ, so re-loading the same file changes nothing. Raises ImportFailed, PermissionDenied."""
    org_services.require_signed_in(actor)
    file_name = (file_name or "upload.csv").strip()[:255] or "upload.csv"
    parsed = loading.parse_csv(content)
    problems = importing.Problems()
    for line, column, message in parsed.problems:
        problems.add(file_name, f"line {line}: {column}", message)
    known = {m.name: m for m in _metric_qs(actor).filter(name__in=parsed.names)}
    for name in parsed.names:
        if name not in known:
            line = next((c.line for c in parsed.cells if c.metric == name), 1) if parsed.shape == "long" else 1
            where = f"line {line}: metric" if parsed.shape == "long" else "line 1: header"
            problems.add(file_name, where, f"no metric is named {name[:80]!r}")
    problems.raise_if_any()
    metrics = {m.pk: m for m in known.values()}
    fit: list[tuple[str, str]] = []
    _check_values_fit(
        metrics, ((known[c.metric].pk, f"line {c.line}: {c.column}", c.day, c.value) for c in parsed.cells), fit
    )
    for where, message in fit:
        problems.add(file_name, where, message)
    problems.raise_if_any()
    if not parsed.cells:
        raise RuleViolation(f"{file_name} has no values to load", field="file")
    for metric in metrics.values():
        _require_data_change(actor, metric)
    values: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in metrics}
    for cell in parsed.cells:
        values[known[cell.metric].pk][cell.day] = cell.value
    with transaction.atomic():
        return _write_values(actor=actor, source=Source.CSV, file_name=file_name, metrics=metrics, values=values)


def push_values(*, actor: Actor, metric_id: int, values: Sequence[ValuePoint]) -> LoadReport:
    """Push values of one metric (the API): each a day and a value or None (a blank). Same rules as a CSV load:
    one value per day, weekly metrics on their decks' week ends, ratio metrics take none, all or nothing, only
    what differs is written. Raises RuleViolation naming `values[i]`, PermissionDenied, NotFound."""
    metric = _require_metric_row(actor, metric_id)
    if not values:
        raise RuleViolation("push at least one value", field="values")
    if len(values) > MAX_PUSH:
        raise RuleViolation(f"push at most {MAX_PUSH} values at once (load a CSV for more)", field="values")
    problems = importing.Problems()
    per: dict[dt.date, float | None] = {}
    firsts: dict[dt.date, int] = {}
    for i, point in enumerate(values):
        value = point.value
        if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
            problems.add("push", f"values[{i}].value", "must be a finite number or null (a blank)")
            continue
        if point.day in firsts:
            problems.add("push", f"values[{i}].day", f"{point.day} is also values[{firsts[point.day]}]")
            continue
        firsts[point.day] = i
        per[point.day] = None if value is None else float(value)
    problems.raise_if_any()
    fit: list[tuple[str, str]] = []
    _check_values_fit({metric.pk: metric}, ((metric.pk, f"values[{firsts[d]}].day", d, v) for d, v in per.items()), fit)
    for where, message in fit:
        problems.add("push", where, message)
    problems.raise_if_any()
    _require_data_change(actor, metric)
    with transaction.atomic():
        return _write_values(
            actor=actor, source=Source.API, file_name="", metrics={metric.pk: metric}, values={metric.pk: per}
        )


def list_loads(
    *, actor: Actor, metric_id: int | None = None, limit: int | None = None, offset: int | None = None
) -> Page[LoadReport]:
    """Recent loads, newest first (every signed-in person may read them), optionally of one metric."""
    org_services.require_signed_in(actor)
    qs = DataLoad.objects.all()
    if metric_id is not None:
        qs = (
            qs.filter(metric_ids__contains=[metric_id])
            if connection.vendor == "postgresql"
            else qs.filter(
                pk__in=[pk for pk, ids in DataLoad.objects.values_list("pk", "metric_ids") if metric_id in ids]
            )
        )
    page = paginate(qs, limit=limit, offset=offset, convert=lambda row: row)
    names = dict(
        MetricRow.objects.filter(pk__in={i for row in page.items for i in row.metric_ids}).values_list("pk", "name")
    )
    return Page(
        items=[_to_load_report(row, names=names) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def _range(start: dt.date | None, end: dt.date | None, *, days_back: int) -> tuple[dt.date, dt.date]:
    end = end or clock.today()
    start = start or end - dt.timedelta(days=days_back)
    if start > end:
        raise RuleViolation(f"start {start} is after end {end}", field="start")
    if (end - start).days > MAX_SERIES_DAYS:
        raise RuleViolation(f"read at most {MAX_SERIES_DAYS} days at once", field="end")
    return start, end


def get_series(*, actor: Actor, metric_id: int, start: dt.date | None = None, end: dt.date | None = None) -> SeriesView:
    """A metric's loaded values between start and end inclusive (default: the 70 days to today), oldest first,
    with the days (for a weekly metric: the week ends of its decks) never loaded. Blanks stay None; a ratio
    metric has no values of its own (its deck row computes them). Raises NotFound, RuleViolation."""
    metric = _require_metric_row(actor, metric_id)
    start, end = _range(start, end, days_back=69)
    points = tuple(
        ValuePoint(day=day, value=value)
        for day, value in DataPoint.objects.filter(metric_id=metric.pk, day__gte=start, day__lte=end)
        .order_by("day")
        .values_list("day", "value")
    )
    missing: tuple[dt.date, ...] = ()
    if not metric.numerator_id:
        loaded = {p.day for p in points}
        expected = _expected_days(metric, start, end)
        missing = tuple(d for d in expected if d not in loaded)
    return SeriesView(
        metric_id=metric.pk,
        name=metric.name,
        grain=Grain(metric.grain),
        start=start,
        end=end,
        points=points,
        missing=missing,
    )


def _expected_days(metric: MetricRow, start: dt.date, end: dt.date) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if metric.grain != "week":
        return days
    ends = _week_days(metric) or frozenset({data.week_ends_on()})
    return [d for d in days if d.weekday() in ends]


def _metric_week_end(metric: MetricRow) -> int:
    ends = sorted(_week_days(metric))
    return ends[0] if ends else data.week_ends_on()


def completeness(
    *,
    actor: Actor,
    metric_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
    week_ends_on: int | None = None,
) -> Completeness:
    """The completeness check of a metric (MECHANISMS.md §8: shown, never hidden): for each week ending between
    start and end (default: the last 10 weeks that have ended), the days it expects (7, or 1 for a weekly metric),
    which were never loaded and which were loaded blank. Weeks end on `week_ends_on` (default: the day the
    metric's decks end weeks on, else Saturday). A ratio metric is as complete as both its operands: a day missing
    or blank in either is missing or blank. Raises NotFound, RuleViolation."""
    metric = _require_metric_row(actor, metric_id)
    if week_ends_on is None:
        week_ends_on = _metric_week_end(metric)
    if not 0 <= week_ends_on <= 6:
        raise RuleViolation("week_ends_on is 0 (Monday) to 6 (Sunday)", field="week_ends_on")
    if end is None:
        today = clock.today()
        end = rules.last_ended_week(today, week_ends_on)
    if start is None:
        start = end - dt.timedelta(weeks=9)
    start, end = _range(start, end, days_back=0)
    first_end = start + dt.timedelta(days=(week_ends_on - start.weekday()) % 7)
    week_ends = []
    day = first_end
    while day <= end:
        week_ends.append(day)
        day += dt.timedelta(days=7)
    sources = [metric.numerator_id, metric.denominator_id] if metric.numerator_id else [metric.pk]
    weekly = metric.grain == "week" and not metric.numerator_id
    lo = (week_ends[0] - dt.timedelta(days=6)) if week_ends else start
    stored: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in sources}
    for pk, d, v in DataPoint.objects.filter(metric_id__in=sources, day__gte=lo, day__lte=end).values_list(
        "metric_id", "day", "value"
    ):
        stored[pk][d] = v
    weeks = []
    for week_end in week_ends:
        days = [week_end] if weekly else [week_end - dt.timedelta(days=i) for i in range(6, -1, -1)]
        missing = tuple(d for d in days if any(d not in stored[pk] for pk in sources))
        blank = tuple(d for d in days if d not in missing and any(stored[pk].get(d, 0.0) is None for pk in sources))
        weeks.append(WeekCompleteness(week_ending=week_end, expected=len(days), missing=missing, blank=blank))
    return Completeness(
        metric_id=metric.pk,
        name=metric.name,
        grain=Grain(metric.grain),
        start=start,
        end=end,
        week_ends_on=week_ends_on,
        weeks=tuple(weeks),
    )


def may_change_data(*, actor: Actor, metric_id: int) -> bool:
    """May the actor load values into this metric and set its SQL source (what the page offers)?"""
    if not actor.is_authenticated:
        return False
    row = _metric_qs(actor).filter(pk=metric_id).first()
    return row is not None and _policy.can_change_metric(actor, row)


def weekly_figures(*, actor: Actor, metric_id: int, weeks: int = 10) -> list[tuple[WeekCompleteness, float | None]]:
    """The last `weeks` ended weeks of a metric (oldest first), each with its completeness and its figure: the
    week's values combined by the metric's aggregation (a ratio: the ratio of the operands' week sums), or None
    (N/A) when the week is incomplete; never 0 for a gap. Raises NotFound."""
    metric = _require_metric_row(actor, metric_id)
    check = completeness(actor=actor, metric_id=metric_id)
    check_weeks = check.weeks[-max(1, min(weeks, 52)) :]
    if not check_weeks:
        return []
    lo = check_weeks[0].week_ending - dt.timedelta(days=6)
    sources = [metric.numerator_id, metric.denominator_id] if metric.numerator_id else [metric.pk]
    values: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in sources}
    for pk, d, v in DataPoint.objects.filter(
        metric_id__in=sources, day__gte=lo, day__lte=check_weeks[-1].week_ending
    ).values_list("metric_id", "day", "value"):
        values[pk][d] = v
    out = []
    for week in check_weeks:
        days = [week.week_ending - dt.timedelta(days=i) for i in range(6, -1, -1)]
        figure = None
        if week.complete:
            if metric.numerator_id:
                num = sum(values[metric.numerator_id][d] for d in days)
                den = sum(values[metric.denominator_id][d] for d in days)
                figure = num / den if den else None
            else:
                seen = [values[metric.pk][d] for d in days if d in values[metric.pk]]
                figure = _combine(metric.aggregation, seen)
        out.append((week, figure))
    return out


def _combine(aggregation: str, values: list) -> float | None:
    if not values:
        return None
    if aggregation == "mean":
        return sum(values) / len(values)
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    if aggregation == "last":
        return values[-1]
    return sum(values)


# SQL pulls


def get_sql_source(*, actor: Actor, metric_id: int) -> SqlSourceView:
    """The metric's SQL source and its last run; raises NotFound when it has none."""
    found = find_sql_source(actor=actor, metric_id=metric_id)
    if found is None:
        raise NotFound(f"metric {metric_id} has no SQL source", field="metric_id")
    return found


def find_sql_source(*, actor: Actor, metric_id: int) -> SqlSourceView | None:
    metric = _require_metric_row(actor, metric_id)
    row = SqlSource.objects.filter(metric=metric).first()
    return _to_sql_source(row) if row else None


def set_sql_source(
    *,
    actor: Actor,
    metric_id: int,
    engine: Engine | str,
    connection: str,
    query: str,
    every_hours: int = 24,
    enabled: bool = True,
    version: int | None = None,
) -> SqlSourceView:
    """Set where the worker pulls a metric's values from (MECHANISMS.md §8): an engine, a connection named in
    MECH_METRICS_CONNECTIONS, one SELECT returning (day, value) rows, how often (1 to 720 hours) and whether it
    runs. Creating names no version; changing names the version read (a stale one is a Conflict). The metric's
    owner, its team's members and leader, or an admin. Raises RuleViolation naming the field, Conflict."""
    metric = _require_metric_row(actor, metric_id)
    try:
        engine = Engine(engine)
    except ValueError:
        raise RuleViolation(f"engine must be one of: {', '.join(e.value for e in Engine)}", field="engine") from None
    connection = (connection or "").strip()
    known = _sql.connections()
    if connection not in known:
        raise RuleViolation(
            f"no connection named {connection!r}; MECH_METRICS_CONNECTIONS has: {', '.join(sorted(known)) or 'none'}",
            field="connection",
        )
    if known[connection].get("engine", "duckdb") != engine.value:
        raise RuleViolation(
            f"connection {connection!r} is a {known[connection].get('engine', 'duckdb')} connection, not {engine}",
            field="connection",
        )
    try:
        query = _sql.check_query(query)
    except ValueError as exc:
        raise RuleViolation(str(exc), field="query") from None
    if isinstance(every_hours, bool) or not isinstance(every_hours, int) or not 1 <= every_hours <= 720:
        raise RuleViolation("every_hours is a whole number of hours from 1 to 720", field="every_hours")
    if metric.numerator_id:
        raise RuleViolation(f"{metric.name} is a ratio of two metrics; pull its operands instead", field="metric_id")
    _require_data_change(actor, metric)
    fields = {
        "engine": engine.value,
        "connection": connection,
        "query": query,
        "every_hours": every_hours,
        "enabled": bool(enabled),
    }
    with transaction.atomic():
        row = SqlSource.objects.filter(metric=metric).first()
        before = None
        if row is None:
            if version is not None:
                raise Conflict(f"{metric.name} has no SQL source yet; create it without a version", field="version")
            row = SqlSource.objects.create(metric=metric, **fields)
        else:
            if version is None:
                raise RuleViolation("name the version of the SQL source you read", field="version")
            before = _sql_audit(row)
            update_versioned(row, expected_version=version, changes=fields)
        _audit_metric(
            actor,
            "set_sql_source" if before is None else "update_sql_source",
            metric,
            before=before,
            after=_sql_audit(row),
        )
        return _to_sql_source(row)


def run_sql_source(*, actor: Actor, metric_id: int) -> LoadReport:
    """Run the metric's SQL query now and load its rows like any other load (idempotent, all or nothing). A
    failure (the engine's error, a non-SELECT, rows that are not (day, value), too many rows, a value that does
    not fit the metric) is stored on the source (last_status failed, last_error) and its owner is notified; then
    RuleViolation on `query` says why. Raises PermissionDenied, NotFound."""
    metric = _require_metric_row(actor, metric_id)
    row = SqlSource.objects.filter(metric=metric).first()
    if row is None:
        raise NotFound(f"metric {metric.name} has no SQL source", field="metric_id")
    _require_data_change(actor, metric)
    report, error = _pull(actor, metric, row)
    if error:
        raise RuleViolation(f"the SQL pull of {metric.name} failed: {error}", field="query")
    return report


def _pull(actor: Actor, metric: MetricRow, row: SqlSource) -> tuple[LoadReport | None, str]:
    """Run one source: (the load, "") or (None, the error, stored on the source and sent to the owner)."""
    started = clock.now()
    error = ""
    try:
        points = _sql.run(row.engine, row.connection, row.query)
    except _sql.QueryFailed as exc:
        points, error = [], str(exc)
    if not error:
        fit: list[tuple[str, str]] = []
        _check_values_fit(
            {metric.pk: metric}, ((metric.pk, f"row {i}", d, v) for i, (d, v) in enumerate(points, 1)), fit
        )
        if fit:
            error = "; ".join(f"{where}: {message}" for where, message in fit[:5])
    if error:
        with transaction.atomic():
            SqlSource.objects.filter(pk=row.pk).update(
                last_run_at=started, last_status="failed", last_error=error[:4000], last_rows=None
            )
            notifications_services.notify(
                actor=actor,
                recipients=[metric.owner_id],
                kind=KIND_SQL_FAILED,
                title=f"The SQL pull of {metric.name} failed",
                body=error[:2000],
                url=f"/metrics/{metric.name}",
                subject_type=history.METRIC,
                subject_id=metric.pk,
            )
        return None, error
    with transaction.atomic():
        report = _write_values(
            actor=actor,
            source=Source.SQL,
            file_name=f"sql:{row.connection}",
            metrics={metric.pk: metric},
            values={metric.pk: dict(points)},
        )
        SqlSource.objects.filter(pk=row.pk).update(
            last_run_at=started, last_status="ok", last_error="", last_rows=len(points)
        )
    return report, ""


def pull_due_sources(*, actor: Actor) -> PullReport:
    """The worker's job (metrics.tasks, every PULL_EVERY): run each enabled SQL source whose last run is at least
    `every_hours` ago (or that never ran), each in its own transaction, so a source runs once per period however
    often the job runs, and one failing source neither stops the others nor the worker. An admin or the system."""
    if not actor.is_admin:
        raise PermissionDenied("only the worker (or an admin) runs the due SQL pulls", field="actor")
    now = clock.now()
    pulled, failed, skipped = [], [], 0
    for row in SqlSource.objects.filter(enabled=True).select_related("metric").order_by("pk"):
        if row.last_run_at is not None and row.last_run_at + dt.timedelta(hours=row.every_hours) > now:
            skipped += 1
            continue
        _report, error = _pull(actor, row.metric, row)
        (failed if error else pulled).append(row.metric_id)
    return PullReport(pulled=tuple(pulled), failed=tuple(failed), skipped=skipped)


def _sql_audit(row: SqlSource) -> dict[str, Any]:
    return {
        "engine": row.engine,
        "connection": row.connection,
        "query": row.query,
        "every_hours": row.every_hours,
        "enabled": row.enabled,
    }


def _to_sql_source(row: SqlSource) -> SqlSourceView:
    next_run = None
    if row.enabled:
        next_run = row.last_run_at + dt.timedelta(hours=row.every_hours) if row.last_run_at else clock.now()
    return SqlSourceView(
        metric_id=row.metric_id,
        engine=Engine(row.engine),
        connection=row.connection,
        query=row.query,
        every_hours=row.every_hours,
        enabled=row.enabled,
        version=row.version,
        last_run_at=row.last_run_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_rows=row.last_rows,
        next_run_at=next_run,
    )


def _to_load_report(
    row: DataLoad, *, names: dict[int, str], first: dt.date | None = None, last: dt.date | None = None
) -> LoadReport:
    ids = tuple(row.metric_ids)
    return LoadReport(
        id=row.pk,
        source=Source(row.source),
        actor_id=row.actor_id,
        file_name=row.file_name,
        metric_ids=ids,
        metric_names=tuple(names.get(i, f"#{i}") for i in ids),
        added=row.added,
        changed=row.changed,
        unchanged=row.unchanged,
        created_at=row.created_at,
        first_day=first,
        last_day=last,
    )


# --- decks: build, commentary, exceptions, snapshots -----------------------------------------------------------
# The third part's services live in the private module decks.py (the docstrings below say what each enforces);
# these are the public names.


DECK_SUBJECT = _decks.DECK_SUBJECT
MAX_DECK_ROWS = _decks.MAX_ROWS
FEW_DECK_ROWS = _decks.FEW_ROWS
create_deck = _decks.create_deck
change_deck = _decks.change_deck
set_deck_rows = _decks.set_deck_rows
get_deck = _decks.get_deck
find_deck = _decks.find_deck
list_decks = _decks.list_decks
metric_ids_by_name = _decks.metric_ids_by_name
last_ended_week = _decks.last_ended_week
build_deck = _decks.build_deck
comment_on_metric = _decks.comment_on_metric
list_commentary = _decks.list_commentary
take_snapshot = _decks.take_snapshot
take_due_snapshots = _decks.take_due_snapshots
list_snapshots = _decks.list_snapshots
get_snapshot = _decks.get_snapshot
snapshot_result = _decks.snapshot_result
compare_snapshots = _decks.compare_snapshots
export_deck = _decks.export_deck
deck_document = _decks.deck_document

# --- goals -----------------------------------------------------------------------------------------------------

SUBJECT_GOAL = "goal"
GOAL_VERBS = frozenset({"create", "change", *(t.name for t in GOAL_MACHINE.transitions)})
KIND_GOAL_PROPOSED, KIND_GOAL_DECIDED = "goal.proposed", "goal.decided"
notifications_services.declare_kinds(kinds=[KIND_GOAL_PROPOSED, KIND_GOAL_DECIDED])
GOAL_TEXT_MAX = 20000
GOAL_COUNTED = frozenset(s.value for s in GoalState) - {GoalState.DROPPED.value}


def create_goal(
    *,
    actor: Actor,
    team_id: int,
    year: int,
    title: str,
    description: str = "",
    metric_id: int,
    target: float,
    measure: GoalMeasure | str = GoalMeasure.LAST_WEEK,
    start_date: dt.date,
    due_date: dt.date,
    baseline: float | None = None,
) -> Goal:
    """Draft a team's goal for the year (MECHANISMS.md §8): specific (a registry metric, a numeric target, the
    figure it is judged on: last week, MTD, QTD or YTD), dated (a start, and a due date within the year), owned by
    the person drafting it. The goal keeps the metric's current revision number, so a later redefinition shows.
    A member or the leader of the team, or an admin. Raises RuleViolation naming the field, NotFound,
    PermissionDenied."""
    org_services.require_signed_in(actor)
    team = _goal_team(actor, team_id)
    _policy.require_write_goal(actor, team_id=team.id)
    owner_id = actor.person_id or team.leader_id
    if owner_id is None:
        raise RuleViolation("the team has no leader to own a goal drafted by the product", field="team_id")
    values = _clean_goal(
        {
            "year": year,
            "title": title,
            "description": description,
            "metric_id": metric_id,
            "target": target,
            "measure": measure,
            "start_date": start_date,
            "due_date": due_date,
            "baseline": baseline,
        }
    )
    metric = values.pop("metric")
    with transaction.atomic():
        row = GoalRow.objects.create(
            team_id=team.id,
            owner_id=owner_id,
            state=GOAL_MACHINE.initial,
            metric=metric,
            metric_revision=metric.revision,
            **values,
        )
        goal = _to_goal(row)
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
            subject_label=_goal_label(row),
            after=_goal_audit(goal),
        )
    return goal


def propose_goal(*, actor: Actor, note: str = "", **fields: Any) -> Goal:
    """Draft a goal (create_goal's fields) and propose it to leadership at once (the machine's `propose`)."""
    goal = create_goal(actor=actor, **fields)
    return apply_goal_transition(
        actor=actor, goal_id=goal.id, version=goal.version, transition="propose", values={"note": note}
    )


def change_goal(*, actor: Actor, goal_id: int, version: int, changes: GoalChanges) -> Goal:
    """Change a draft goal's what or words (MECHANISMS.md §8): once proposed it waits for leadership, once approved
    it is frozen (revise takes it back to draft). Changing the metric, or any field, takes the metric's current
    revision. The team's members and leader, and admins; a stale version is a Conflict. Raises RuleViolation
    naming the field, NotFound, PermissionDenied."""
    row = _require_goal(actor, goal_id)
    _policy.require_write_goal(actor, team_id=row.team_id)
    if row.state != GoalState.DRAFT.value:
        raise RuleViolation(
            f"goal {row.id} is {row.state}: only a draft changes (an approved goal's what is frozen; revise it "
            "to take it back to draft)",
            field="state",
        )
    if row.version != version:
        raise Conflict(
            f"goal {row.id} was changed by someone else (you read version {version}, it is now {row.version}); "
            "reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )
    wanted = given(changes)
    merged = {
        "year": row.year,
        "title": row.title,
        "description": row.description,
        "metric_id": row.metric_id,
        "target": row.target,
        "measure": row.measure,
        "start_date": row.start_date,
        "due_date": row.due_date,
        "baseline": row.baseline,
        **wanted,
    }
    values = _clean_goal(merged)
    metric = values.pop("metric")
    values["metric_id"] = metric.pk
    values["metric_revision"] = metric.revision
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return _to_goal(row)
    before = _goal_audit(_to_goal(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=changed)
        row.metric = metric
        goal = _to_goal(row)
        audit_services.record_change(
            actor=actor,
            verb="change",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
            subject_label=_goal_label(row),
            before=before,
            after=_goal_audit(goal),
        )
    return goal


def apply_goal_transition(
    *, actor: Actor, goal_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> Goal:
    """Take one move of the goal machine (metrics/machines.py) in the order of kernel/machine_apply.py: the version
    read (409), the state and guard (400: e.g. a goal is judged achieved or missed only once due, from complete
    data), the party (403: the team proposes and revises; leadership above the team approves, returns, drops and
    closes), the input, the compare-and-set, the audit record, the notices. The API, CLI and pages call this."""
    row = _require_goal(actor, goal_id)
    return machine_apply.apply(_GOAL_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def get_goal(*, actor: Actor, goal_id: int) -> Goal:
    """One goal. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_goal(_require_goal(actor, goal_id))


def find_goal(*, actor: Actor, goal_id: int) -> Goal | None:
    """One goal, or None."""
    row = _goals(actor).filter(pk=goal_id).first() if isinstance(goal_id, int) else None
    return _to_goal(row) if row is not None else None


def goal_view(*, actor: Actor, goal_id: int) -> GoalView:
    """A goal as this viewer sees it: the moves they may take now (exactly what the apply lets through before
    reading input), whether they may change it, and why a due goal cannot be closed yet."""
    row = _require_goal(actor, goal_id)
    ctx = _GoalContext(actor, row)
    facts = _goal_facts(ctx)
    parties = _goal_parties(ctx)
    held = ""
    if row.state == GoalState.APPROVED.value and facts.due_passed and facts.outcome is None:
        held = f"The goal cannot be closed yet: {facts.why_no_outcome}."
    return GoalView(
        goal=_to_goal(row),
        actions=machines.available(GOAL_MACHINE, facts, parties),
        can_change=row.state == GoalState.DRAFT.value and _policy.can_write_goal(actor, team_id=row.team_id),
        held=held,
    )


def list_goals(
    *,
    actor: Actor,
    team_id: int | None = None,
    unit_id: int | None = None,
    year: int | None = None,
    state: GoalState | str | None = None,
    metric_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Goal]:
    """Goals by team, by org unit (the unit and every unit below it), year, state and metric; by team, year, id.
    Paginated. Raises RuleViolation naming a bad filter, NotFound for an unknown unit."""
    qs = _goals(actor).select_related("metric")
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if unit_id is not None:
        qs = qs.filter(team_id__in=_unit_team_ids(actor, unit_id))
    if year is not None:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=_goal_enum(GoalState, state, "state").value)
    if metric_id is not None:
        qs = qs.filter(metric_id=metric_id)
    return paginate(qs.order_by("team_id", "year", "id"), limit=limit, offset=offset, convert=_to_goal)


def goal_progress(*, actor: Actor, goal_id: int) -> GoalProgress:
    """A goal's progress, computed from its metric's data and the date, never set by hand (MECHANISMS.md §8): the
    measured figure by the deck engine's definitions (last week, MTD, QTD or YTD for the last ended week; once due,
    for the last week ending by the due date), the share of the way from baseline to target, the share of time
    elapsed, and a status: on_track, at_risk, off_track, achieved, missed, or no_data when the measured period is
    incomplete (its missing days named). Flags a metric redefined since the goal was set on it."""
    row = _require_goal(actor, goal_id)
    return _progress(row, clock.today())


def goal_progresses(*, actor: Actor, goal_ids: Sequence[int]) -> dict[int, GoalProgress]:
    """Progress of several goals at once (a page of goals): by goal id; unknown ids are left out."""
    rows = list(_goals(actor).filter(pk__in=[g for g in goal_ids if isinstance(g, int)]).select_related("metric"))
    today = clock.today()
    return {row.pk: _progress(row, today) for row in rows}


def goal_mix(*, actor: Actor, team_id: int | None = None, unit_id: int | None = None, year: int) -> GoalMix:
    """The share of a year's goals tied to input versus output metrics (MECHANISMS.md §8: at Amazon about 10 of 500
    top-level goals were financial), per team and for the team or the org unit's subtree (all teams when neither is
    given), with a warning for each team whose goal set is output-only. Dropped goals do not count. Raises
    RuleViolation, NotFound."""
    org_services.require_signed_in(actor)
    year = _goal_year(year)
    qs = _goals(actor).filter(year=year, state__in=GOAL_COUNTED)
    if team_id is not None:
        _goal_team(actor, team_id)
        qs = qs.filter(team_id=team_id)
    if unit_id is not None:
        qs = qs.filter(team_id__in=_unit_team_ids(actor, unit_id))
    counts: dict[int, dict[str, int]] = {}
    for team, kind in qs.values_list("team_id", "metric__kind"):
        line = counts.setdefault(team, {"input": 0, "output": 0})
        line["input" if kind == Kind.INPUT.value else "output"] += 1
    teams = org_services.get_teams(actor=actor, ids=list(counts))
    lines, warnings = [], []
    for team, c in sorted(counts.items(), key=lambda kv: (teams[kv[0]].name if kv[0] in teams else "", kv[0])):
        total = c["input"] + c["output"]
        output_only = total > 0 and c["input"] == 0
        lines.append(
            GoalMixLine(
                team_id=team,
                input=c["input"],
                output=c["output"],
                total=total,
                input_share=round(c["input"] / total, 3) if total else None,
                output_only=output_only,
            )
        )
        if output_only:
            name = teams[team].name if team in teams else f"team {team}"
            warnings.append(
                f"{name}'s {year} goals are all tied to output metrics: goals should move the inputs the team controls"
            )
    n_in = sum(line.input for line in lines)
    n_out = sum(line.output for line in lines)
    total = n_in + n_out
    return GoalMix(
        year=year,
        teams=tuple(lines),
        input=n_in,
        output=n_out,
        total=total,
        input_share=round(n_in / total, 3) if total else None,
        warnings=tuple(warnings),
    )


def close_due_goals(*, actor: Actor) -> list[Goal]:
    """The worker's sweep: each approved goal past its due date whose data is complete is closed as achieved or
    missed, as its data says (a goal with incomplete data stays approved, and its page says why)."""
    closed = []
    today = clock.today()
    for row in GoalRow.objects.filter(state=GoalState.APPROVED.value, due_date__lt=today).select_related("metric"):
        outcome = goal_progress_rules.outcome_for(GoalState(row.state), _progress(row, today).status)
        if outcome is None:
            continue
        closed.append(
            apply_goal_transition(
                actor=actor,
                goal_id=row.pk,
                version=row.version,
                transition="achieve" if outcome == "achieved" else "miss",
                values={},
            )
        )
    return closed


# goals: private helpers


def _goals(actor: Actor):
    return _policy.visible_to(actor, GoalRow.objects.all())


def _require_goal(actor: Actor, goal_id: Any) -> GoalRow:
    row = _goals(actor).filter(pk=goal_id).select_related("metric").first() if isinstance(goal_id, int) else None
    if row is None:
        raise NotFound(f"goal {goal_id} does not exist", field="goal_id")
    return row


def _goal_team(actor: Actor, team_id: Any):
    if not isinstance(team_id, int) or isinstance(team_id, bool):
        raise RuleViolation("team_id must be a team's id", field="team_id")
    team = org_services.get_teams(actor=actor, ids=[team_id]).get(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    return team


def _unit_team_ids(actor: Actor, unit_id: Any) -> list[int]:
    if not isinstance(unit_id, int) or not org_services.get_org_units(actor=actor, ids=[unit_id]):
        raise NotFound(f"org unit {unit_id} does not exist", field="unit_id")
    units = org_services.org_unit_descendants(actor=actor, org_unit_id=unit_id)
    return org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units)


def _goal_enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleViolation(f"{field} must be one of {', '.join(m.value for m in kind)}", field=field) from None


def _goal_year(year: Any) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise RuleViolation("year must be a year between 2000 and 2100", field="year")
    return year


def _goal_number(value: Any, field: str, *, required: bool = True) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleViolation(f"{field} must be a number", field=field)
    if abs(value) > 1e15:
        raise RuleViolation(f"{field} must be between -1e15 and 1e15", field=field)
    return float(value)


def _goal_date(value: Any, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RuleViolation(f"{field} must be a date", field=field)
    return value


def _clean_goal(values: Mapping[str, Any]) -> dict[str, Any]:
    """A goal's fields, checked (MECHANISMS.md §8: specific and dated); RuleViolation naming the first bad one."""
    year = _goal_year(values["year"])
    title = _text(values["title"], "title", 300)
    description = _text(values["description"], "description", GOAL_TEXT_MAX, required=False)
    metric_id = values["metric_id"]
    metric = (
        MetricRow.objects.filter(pk=metric_id).first()
        if isinstance(metric_id, int) and not isinstance(metric_id, bool)
        else None
    )
    if metric is None:
        raise NotFound(f"metric {metric_id} is not in the registry", field="metric_id")
    if metric.retired_on is not None:
        raise RuleViolation(f"metric {metric.name} was retired on {metric.retired_on}", field="metric_id")
    target = _goal_number(values["target"], "target")
    baseline = _goal_number(values["baseline"], "baseline", required=False)
    if baseline is not None and baseline == target:
        raise RuleViolation("the target must differ from the baseline", field="target")
    measure = _goal_enum(GoalMeasure, values["measure"], "measure").value
    start = _goal_date(values["start_date"], "start_date")
    due = _goal_date(values["due_date"], "due_date")
    if due.year != year:
        raise RuleViolation(f"the due date must be within {year}", field="due_date")
    if start >= due:
        raise RuleViolation("the start date must be before the due date", field="start_date")
    if start.year < year - 1:
        raise RuleViolation(f"the start date must be in {year - 1} or {year}", field="start_date")
    return {
        "year": year,
        "title": title,
        "description": description,
        "metric": metric,
        "target": target,
        "baseline": baseline,
        "measure": measure,
        "start_date": start,
        "due_date": due,
    }


def _progress(row: GoalRow, today: dt.date) -> GoalProgress:
    metric = row.metric
    measure = GoalMeasure(row.measure)
    as_of = goal_progress_rules.measured_as_of(today=today, due_date=row.due_date)
    result = goal_progress_rules.measured_row(metric, as_of=as_of)
    measured = goal_progress_rules.figure(result, measure)
    gaps = goal_progress_rules.current_gaps(result, measure, as_of) if measured is None else ()
    judged = goal_progress_rules.judge(
        measured=measured,
        baseline=row.baseline,
        target=row.target,
        direction=Direction(metric.direction),
        start=row.start_date,
        due=row.due_date,
        as_of=as_of,
        today=today,
        unavailable=goal_progress_rules.unavailable_words(measure, as_of, gaps),
    )
    status, reason = judged.status, judged.reason
    if row.state in (GoalState.ACHIEVED.value, GoalState.MISSED.value):
        status = GoalStatus(row.state)
        reason = f"closed as {row.state}"
    note = None
    if metric.revision != row.metric_revision:
        note = (
            f"measured against revision {metric.revision} of {metric.name}; the goal was set on revision "
            f"{row.metric_revision}"
        )
    return GoalProgress(
        goal_id=row.pk,
        measure=measure,
        as_of=as_of,
        measured=measured,
        baseline=row.baseline,
        target=row.target,
        progress=None if judged.progress is None else round(judged.progress, 4),
        elapsed=round(judged.elapsed, 4),
        status=status,
        reason=reason,
        gaps=gaps,
        goal_revision=row.metric_revision,
        metric_revision=metric.revision,
        revision_note=note,
    )


class _GoalContext:
    """What one goal transition reads, once: the team (for its unit: who leads above it) and, for a due approved
    goal, its progress (the outcome the data supports)."""

    def __init__(self, actor: Actor, row: GoalRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()
        self.team = org_services.get_teams(actor=Actor.system("metrics"), ids=[row.team_id]).get(row.team_id)
        self._progress: Any = ...

    @property
    def progress(self) -> GoalProgress | None:
        if self._progress is ...:
            due = self.row.state == GoalState.APPROVED.value and self.today > self.row.due_date
            self._progress = _progress(self.row, self.today) if due else None
        return self._progress


def _goal_facts(ctx: _GoalContext) -> GoalFacts:
    progress = ctx.progress
    outcome = (
        goal_progress_rules.outcome_for(GoalState(ctx.row.state), progress.status) if progress is not None else None
    )
    return GoalFacts(
        state=ctx.row.state,
        due_passed=ctx.today > ctx.row.due_date,
        outcome=outcome,
        why_no_outcome=progress.reason if progress is not None and outcome is None else "",
    )


def _goal_parties(ctx: _GoalContext) -> frozenset[str]:
    return _policy.goal_parties(ctx.actor, team_id=ctx.row.team_id)


def _goal_record(step: machine_apply.Step) -> Goal:
    ctx: _GoalContext = step.context
    row = ctx.row
    goal = _to_goal(row)
    audit_services.record_change(
        actor=ctx.actor,
        verb=step.transition.name,
        subject_type=SUBJECT_GOAL,
        subject_id=row.id,
        subject_label=_goal_label(row),
        before=step.before,
        after=_goal_audit(goal),
        reason=step.note,
    )
    words = step.transition.words_for(step.transition.notice, step.to_state) or step.transition.name
    if step.transition.name == "propose":
        recipients, kind = _leaders_above(ctx), KIND_GOAL_PROPOSED
    else:
        recipients = {row.owner_id} | ({ctx.team.leader_id} if ctx.team and ctx.team.leader_id else set())
        kind = KIND_GOAL_DECIDED
    recipients = [p for p in recipients if p != ctx.actor.person_id]
    if recipients:
        notifications_services.notify(
            actor=ctx.actor,
            recipients=recipients,
            kind=kind,
            title=f"Goal {words}: {row.title}"[:200],
            url=f"/goals/{row.id}",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
        )
    return goal


def _leaders_above(ctx: _GoalContext) -> set[int]:
    """Who hears of a proposal: the nearest leader of a unit containing the team who is not in the team."""
    if ctx.team is None:
        return set()
    system = Actor.system("metrics")
    members = {ctx.team.leader_id} if ctx.team.leader_id else set()
    units = [org_services.get_org_unit(actor=system, org_unit_id=ctx.team.org_unit_id)]
    units += org_services.org_unit_ancestors(actor=system, org_unit_id=ctx.team.org_unit_id)
    for unit in units:
        if unit.leader_id and unit.leader_id not in members:
            return {unit.leader_id}
    return set()


_GOAL_BINDING = machine_apply.Binding(
    machine=GOAL_MACHINE,
    load=_GoalContext,
    facts=_goal_facts,
    parties=_goal_parties,
    snapshot=lambda ctx: _goal_audit(_to_goal(ctx.row)),
    record=_goal_record,
)


def _goal_label(row: GoalRow) -> str:
    return f"{row.year} goal: {row.title}"[:200]


def _goal_audit(goal: Goal) -> dict[str, Any]:
    return {
        "team_id": goal.team_id,
        "year": goal.year,
        "title": goal.title,
        "description": goal.description,
        "metric_id": goal.metric_id,
        "metric_revision": goal.metric_revision,
        "measure": goal.measure.value,
        "baseline": goal.baseline,
        "target": goal.target,
        "start_date": goal.start_date.isoformat(),
        "due_date": goal.due_date.isoformat(),
        "state": goal.state.value,
        "owner_id": goal.owner_id,
        "decision_note": goal.decision_note,
        "version": goal.version,
    }


def _to_goal(row: GoalRow) -> Goal:
    return Goal(
        id=GoalId(row.pk),
        team_id=row.team_id,
        year=row.year,
        title=row.title,
        description=row.description,
        metric_id=row.metric_id,
        metric_name=row.metric.name,
        metric_kind=Kind(row.metric.kind),
        metric_revision=row.metric_revision,
        measure=GoalMeasure(row.measure),
        baseline=row.baseline,
        target=row.target,
        start_date=row.start_date,
        due_date=row.due_date,
        state=GoalState(row.state),
        owner_id=row.owner_id,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def metric_id_by_name(*, actor: Actor, name: str) -> int | None:
    """The id of the registry metric with this name (what the goal CLI and forms are given), or None."""
    row = _find_metric_row(actor, name)
    return row.pk if row is not None else None
