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

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.org import services as org_services

from . import decks as _decks
from . import history
from . import policy as _policy
from .contracts import (
    DEFINITION_FIELDS,
    Aggregation,
    Comparison,
    Direction,
    Grain,
    Kind,
    LineageLink,
    LineageView,
    MetricChanges,
    MetricRevisionView,
    MetricView,
    Period,
    PlanRow,
)
from .models import Metric as MetricRow
from .models import MetricRevision as MetricRevisionRow
from .models import PlanValue as PlanValueRow

_SYSTEM = Actor.system("metrics")

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

METRIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/ ]*")
MAX_DEFINITION = 20000
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
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=history.METRIC,
            subject_id=row.pk,
            subject_label=row.name,
            after=_metric_audit(view),
        )
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
        audit_services.record_change(
            actor=actor,
            verb="revise",
            subject_type=history.METRIC,
            subject_id=row.pk,
            subject_label=row.name,
            before=before,
            after=_metric_audit(view),
            reason=why,
        )
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
        audit_services.record_change(
            actor=actor,
            verb="retire",
            subject_type=history.METRIC,
            subject_id=row.pk,
            subject_label=row.name,
            before=before,
            after=_metric_audit(view),
            reason=why,
        )
    return view


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
        audit_services.record_change(
            actor=actor,
            verb="set_plan",
            subject_type=history.METRIC,
            subject_id=row.pk,
            subject_label=row.name,
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
