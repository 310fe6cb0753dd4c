"""`mech experiments ...` (docs/experiments.md). `mech experiments analyze STATS.json` is offline (no Django):
config/launcher.py takes it to mechanisms.interop.experiments_cli before this module is imported; the command is
also listed here so `mech experiments --help` shows it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import typer

from mechanisms.kernel.cli import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Format,
    emit_json,
    emit_table,
    fail,
    page_footer,
    run,
    setup_django,
)
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import show_moves

from .contracts import SRM_THRESHOLD

experiments = typer.Typer(help="Experiments: registry, assignment, exposures, analysis and launch decisions.")

# first part: the registry

AS = typer.Option(None, "--as", help="act as this person's account (handle); without it, the product itself")
FORMAT = typer.Option(Format.text, "--format")
DEFINITION_KEYS = ("key", "name", "hypothesis", "team", "owner", "service", "high_impact", "hash_version", "plan")
# The service's field names, as the file calls them.
FILE_FIELDS = {"team_id": "team", "owner_id": "owner", "service_id": "service"}


def _services():
    setup_django()
    from mechanisms.experiments import services

    return services


def _as(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def read_document(path: Path) -> tuple[Any, dict[str, int]]:
    """A YAML or JSON file's content and the line of every field by its path (`plan.variations[1].weight`); a file
    that cannot be read or parsed fails naming the file and line (exit 2)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the file: {exc}", EXIT_USAGE)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        fail(f"{path}{line}: not valid YAML or JSON: {getattr(exc, 'problem', exc)}", EXIT_USAGE)
    lines: dict[str, int] = {}

    def walk(node: Any, prefix: str) -> None:
        lines.setdefault(prefix, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, f"{prefix}.{key.value}" if prefix else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{prefix}[{i}]")

    if root is not None:
        walk(root, "")
    return data, lines


def _refused(path: Path, lines: dict[str, int], exc: Any, *, prefix: str = "") -> None:
    """Fail naming the file, the line and the field of a refusal (exit 2 for bad input, 1 otherwise)."""
    from mechanisms.kernel.errors import RuleViolation

    field = exc.field or ""
    field = FILE_FIELDS.get(field, field)
    if prefix and field.startswith("plan"):
        field = prefix + field[len("plan") :]
    probe = field
    while probe and probe not in lines:
        probe = probe.rsplit(".", 1)[0] if "." in probe else probe.split("[", 1)[0] if "[" in probe else ""
    line = lines.get(probe, 1)
    code = EXIT_USAGE if isinstance(exc, RuleViolation) else 1
    fail(f"{path}:{line}: {field or 'file'}: {exc.message}", code)


def _call(path: Path, lines: dict[str, int], fn, *, prefix: str = "") -> Any:
    from mechanisms.kernel.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        _refused(path, lines, exc, prefix=prefix)
    return None


def _plan_file(path: Path, *, whole: bool = False):
    """A plan from a file: either the plan itself, or (`whole`) a definition whose `plan` key holds it."""
    from mechanisms.experiments import plans

    data, lines = read_document(path)
    if not whole and isinstance(data, dict) and "plan" in data and "variations" not in data:
        data, prefix = data["plan"], "plan"
    else:
        prefix = ""
    plan = _call(path, lines, lambda: plans.plan_from_dict(data), prefix=prefix)
    return plan, lines, prefix


def _show(view, fmt: Format, moves: tuple[str, ...] | None = None) -> None:
    if fmt is Format.json:
        emit_json({**_jsonable(view), **({"actions": list(moves)} if moves is not None else {})})
        return
    typer.echo(f"{view.key}: {view.name} [{view.state.value}] v{view.version}")
    typer.echo(f"team {view.team_name}; owner {view.owner_name}; service {view.service_name or '-'}")
    typer.echo(f"hypothesis: {view.hypothesis}")
    p = view.plan
    typer.echo(
        f"plan {view.plan_number}: {p.engine.value}, {p.difference.value}; primary {p.primary.metric} "
        f"({p.primary.statistic.value}); mde {p.mde:g}; alpha {p.alpha:g}; power {p.power:g}; "
        f"{p.planned_sample_size} units; stop on {p.stop_rule.value}"
    )
    emit_table("Variations", ["key", "name", "weight"], [(v.key, v.name, f"{v.weight:g}") for v in p.variations])
    if p.guardrails:
        typer.echo("guardrails: " + ", ".join(g.metric for g in p.guardrails))
    if view.stopped_at:
        early = " (early)" if view.stopped_early else ""
        typer.echo(f"stopped {view.stopped_at:%Y-%m-%d}{early}: {view.stop_reason}")
    if view.decision:
        typer.echo(f"decision: {view.decision.value} {view.decision_variation or ''}".rstrip())
    if moves is not None:
        show_moves(moves)


def _jsonable(view) -> dict[str, Any]:
    import dataclasses

    from mechanisms.experiments import plans
    from mechanisms.kernel.cli import to_jsonable

    out = to_jsonable({f.name: getattr(view, f.name) for f in dataclasses.fields(view) if f.name != "plan"})
    out["plan"] = plans.plan_to_dict(view.plan)
    return out


@experiments.command("list")
def list_command(
    state: str | None = typer.Option(None, help="draft, running, stopped, in_review, decided or cancelled"),
    team: str | None = typer.Option(None, help="a team's slug"),
    metric: str | None = typer.Option(None, help="the primary metric's registry name"),
    text: str | None = typer.Option(None, help="words in the key, name or hypothesis"),
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """List experiments, newest first."""
    services = _services()
    from mechanisms.org import services as org_services

    actor = _as(as_)
    team_id = None
    if team:
        found = run(lambda: org_services.find_team(actor=actor, slug=team))
        if found is None:
            fail(f"no team with slug {team!r} (team)", EXIT_USAGE)
        team_id = found.id
    page = run(
        lambda: services.list_experiments(
            actor=actor, state=state, team_id=team_id, metric=metric, text=text, limit=limit, offset=offset
        )
    )
    if format is Format.json:
        emit_json({"items": [_jsonable(v) for v in page.items], "total": page.total, "next_offset": page.next_offset})
        return
    emit_table(
        "Experiments",
        ["key", "name", "state", "team", "primary", "units planned"],
        [
            (v.key, v.name, v.state.value, v.team_name, v.plan.primary.metric, v.plan.planned_sample_size)
            for v in page.items
        ],
        page_footer(page),
        ellipsize=("name",),
    )


@experiments.command("show")
def show_command(key: str, as_: str | None = AS, format: Format = FORMAT) -> None:
    """One experiment, its plan, and what you may do now."""
    services = _services()
    actor = _as(as_)
    view = run(lambda: services.get_experiment(actor=actor, key=key))
    _show(view, format, run(lambda: services.experiment_moves(actor=actor, key=key)))


@experiments.command("plans")
def plans_command(key: str, as_: str | None = AS, format: Format = FORMAT) -> None:
    """The plan's versions: the pre-registered first, then each reasoned revision after start."""
    services = _services()
    from mechanisms.experiments import plans

    page = run(lambda: services.list_plan_versions(actor=_as(as_), key=key))
    if format is Format.json:
        from mechanisms.kernel.cli import to_jsonable

        emit_json([{**to_jsonable(v), "plan": plans.plan_to_dict(v.plan)} for v in page.items])
        return
    emit_table(
        f"Plan versions of {key}",
        ["number", "after start", "changed", "by", "at", "reason"],
        [
            (
                v.number,
                "yes" if v.after_start else "no",
                ", ".join(v.changed),
                v.created_by_name,
                f"{v.created_at:%Y-%m-%d %H:%M}",
                v.reason,
            )
            for v in page.items
        ],
        page_footer(page),
        ellipsize=("reason",),
    )


@experiments.command("define")
def define_command(
    file: Path = typer.Argument(..., help="a YAML or JSON definition: " + ", ".join(DEFINITION_KEYS)),
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """Register an experiment as a draft from a definition file (errors name the file, line and field)."""
    services = _services()
    from mechanisms.catalog import services as catalog_services
    from mechanisms.experiments import plans
    from mechanisms.kernel.errors import NotFound, RuleViolation
    from mechanisms.org import services as org_services

    data, lines = read_document(file)
    actor = _as(as_)

    def define():
        if not isinstance(data, dict):
            raise RuleViolation("the file is a mapping of " + ", ".join(DEFINITION_KEYS), field="")
        unknown = sorted(str(k) for k in data if k not in DEFINITION_KEYS)
        if unknown:
            raise RuleViolation(f"unknown field; expected {', '.join(DEFINITION_KEYS)}", field=unknown[0])
        for name in ("key", "name", "hypothesis", "team", "owner", "plan"):
            if name not in data:
                raise RuleViolation(f"{name} is required", field=name)
        team = org_services.find_team(actor=actor, slug=str(data["team"]))
        if team is None:
            raise NotFound(f"no team with slug {data['team']!r}", field="team")
        owner = org_services.find_person(actor=actor, handle=str(data["owner"]))
        if owner is None:
            raise NotFound(f"no person with handle {data['owner']!r}", field="owner")
        service_id = None
        if data.get("service"):
            service = catalog_services.find_service(actor=actor, name=str(data["service"]))
            if service is None:
                raise NotFound(f"no service named {data['service']!r}", field="service")
            service_id = service.id
        return services.define_experiment(
            actor=actor,
            key=data["key"],
            name=data["name"],
            hypothesis=data["hypothesis"],
            team_id=team.id,
            owner_id=owner.id,
            service_id=service_id,
            high_impact=data.get("high_impact", False),
            hash_version=data.get("hash_version", 2),
            plan=plans.plan_from_dict(data["plan"]),
        )

    _show(_call(file, lines, define), format)


@experiments.command("edit")
def edit_command(
    key: str,
    version: int = typer.Option(..., "--version", help="the version you read (see `show`)"),
    name: str | None = typer.Option(None),
    hypothesis: str | None = typer.Option(None),
    high_impact: bool | None = typer.Option(None, "--high-impact/--not-high-impact"),
    plan: Path | None = typer.Option(None, "--plan", help="a YAML or JSON plan file (a draft only)"),
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """Change a draft; after start the plan is frozen (see `revise`)."""
    services = _services()
    from mechanisms.experiments.contracts import ExperimentChanges

    actor = _as(as_)
    new_plan, lines, prefix = _plan_file(plan) if plan else (None, {}, "")
    changes = ExperimentChanges(name=name, hypothesis=hypothesis, high_impact=high_impact, plan=new_plan)
    call = lambda: services.edit_experiment(actor=actor, key=key, version=version, changes=changes)  # noqa: E731
    _show(_call(plan, lines, call, prefix=prefix) if plan else run(call), format)


@experiments.command("revise")
def revise_command(
    key: str,
    plan: Path = typer.Option(..., "--plan", help="the whole revised plan, as a YAML or JSON file"),
    reason: str = typer.Option(..., "--reason", help="why the plan changes after start (kept beside the results)"),
    version: int = typer.Option(..., "--version", help="the version you read (see `show`)"),
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """File a reasoned plan revision after start."""
    services = _services()
    actor = _as(as_)
    new_plan, lines, prefix = _plan_file(plan)
    view = _call(
        plan,
        lines,
        lambda: services.revise_plan(actor=actor, key=key, version=version, plan=new_plan, reason=reason),
        prefix=prefix,
    )
    _show(view, format)


def _machine():
    from mechanisms.experiments.machines import MACHINE

    return MACHINE


def _perform(t, key, version, as_handle, fmt, values) -> None:
    services = _services()
    from mechanisms.kernel.errors import DomainError, RuleViolation

    actor = _as(as_handle)
    try:
        view = services.apply_transition(actor=actor, key=key, name=t.name, version=version, values=values)
    except DomainError as exc:
        code = EXIT_USAGE if isinstance(exc, RuleViolation) else 1
        fail(exc.message + (f" ({exc.field})" if exc.field else ""), code)
    _show(view, fmt, run(lambda: services.experiment_moves(actor=actor, key=key)))


# One command per declared transition of the experiment machine (machines.py): `mech experiments start KEY ...`.
mount_machine(experiments, _machine(), perform=_perform, id_type=str, id_words="key")

# --------------------------------------------------------------------------- second part: assignment and exposures

_FIELD = re.compile(r"^exposures\[(\d+)\]\.(\w+)$")


def _refused_call(exc, where: str = "") -> None:
    """A refused input (RuleViolation) exits 2 naming the field, any other error 1."""
    from mechanisms.kernel.errors import RuleViolation

    field = f" ({exc.field})" if exc.field else ""
    fail(f"{where}{exc.message}{field}", EXIT_USAGE if isinstance(exc, RuleViolation) else EXIT_FAILURE)


@experiments.command("assign")
def assign(
    key: str = typer.Argument(..., help="the experiment's key"),
    units: list[str] = typer.Argument(..., help="unit ids (at most 1,000)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The variation each unit sees: GrowthBook's hash of (key, unit) while the experiment runs; '-' when it is not
    running (after a decision to ship, the shipped variation)."""
    from mechanisms.kernel.errors import DomainError

    services = _services()
    try:
        found = services.assign_units(actor=_as(as_), keys=[key], unit_ids=list(units))
    except DomainError as exc:
        _refused_call(exc)
    if format is Format.json:
        return emit_json(found)
    emit_table(
        f"Assignment in {key}",
        ["unit", "variation", "bucket", "hash version"],
        [(a.unit_id, a.variation, a.bucket, a.hash_version) for a in found],
    )


def _read_exposures(path: Path):
    """The exposures of a CSV (unit_id[,at[,variation]], an optional header naming unit_id first), each with its
    line; every problem exits 2 with the file, line and field."""
    from mechanisms.experiments.contracts import Exposure

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"{path}: is not UTF-8 text", EXIT_USAGE)
    found, lines, problems = [], [], []
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() == "unit_id":
            continue
        if len(row) > 3:
            problems.append(f"{path}: line {number}: at most three columns: unit_id, at, variation")
            continue
        unit_id, at_text, variation = (row + ["", ""])[:3]
        at = None
        if at_text.strip():
            try:
                at = dt.datetime.fromisoformat(at_text.strip())
            except ValueError:
                problems.append(f"{path}: line {number}: at: {at_text.strip()!r} is not an ISO 8601 date and time")
                continue
        found.append(Exposure(unit_id=unit_id, at=at, variation=variation.strip() or None))
        lines.append(number)
    if problems:
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        fail("\n".join(problems[:50]) + more, EXIT_USAGE)
    if not found:
        fail(f"{path}: has no exposures (unit_id[,at[,variation]] per line)", EXIT_USAGE)
    return found, lines


@experiments.command("expose")
def expose(
    key: str = typer.Argument(..., help="the experiment's key"),
    file: Path = typer.Argument(..., help="a CSV: unit_id[,at[,variation]] per line (an optional header)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Record units' first exposures from a CSV. Sent in calls of at most 10,000 lines, each all or nothing; a unit
    already exposed keeps its first exposure, so sending the same file again records nothing new. A refused line
    exits 2 naming the file, line and field (the calls before it are kept: send the file again once it is
    fixed)."""
    from mechanisms.kernel.errors import DomainError

    services = _services()
    exposures, lines = _read_exposures(file)
    actor = _as(as_)
    recorded = repeated = 0
    size = services.MAX_EXPOSURES
    for start in range(0, len(exposures), size):
        try:
            report = services.record_exposures(actor=actor, key=key, exposures=exposures[start : start + size])
        except DomainError as exc:
            done = f" (lines before line {lines[start]} were recorded)" if start else ""
            match = _FIELD.match(exc.field or "")
            if match:
                line = lines[start + int(match.group(1))]
                code = EXIT_USAGE if exc.code == "rule_violation" else EXIT_FAILURE
                fail(f"{file}: line {line}: {match.group(2)}: {exc.message}{done}", code)
            _refused_call(exc, f"{file}{done}: ")
        recorded, repeated = recorded + report.recorded, repeated + report.repeated
    if format is Format.json:
        return emit_json({"recorded": recorded, "repeated": repeated})
    typer.echo(f"{key}: {recorded} exposures recorded, {repeated} units already exposed")


# third part: analysis. `analyse KEY` analyses on the server (the data connection); `analyze FILE` is the offline
# statistics of a file (no Django): the two names are kept apart on purpose (docs/experiments.md).


def _analysis_run(fn):
    """The service's answer; a refusal exits as `_refused_call` does (2 naming the field, else 1)."""
    from mechanisms.kernel.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        _refused_call(exc)
    return None


def _print_snapshot(view, *, full: bool) -> None:
    kind = "final analysis" if view.final else "analysis"
    typer.echo(f"{kind} {view.number}  through {view.through.isoformat()}  plan {view.plan_number}")
    typer.echo(
        f"  units per variation {', '.join(str(n) for n in view.exposures)}; SRM p = {view.srm_p:.4g}"
        + ("  SAMPLE-RATIO MISMATCH" if view.srm_p < SRM_THRESHOLD else "")
    )
    if view.peeking:
        typer.echo("  peeking: a fixed-horizon result read before the planned sample size")
    rec = view.recommendation
    typer.echo(f"  recommendation: {rec.decision.value}" + (f" {rec.variation}" if rec.variation else ""))
    typer.echo(f"  {rec.sentence}")
    for metric in view.result.metrics:
        for v in metric.variations:
            if v.error:
                typer.echo(f"  {metric.name} {v.name}: no estimate ({v.error.value})")
                continue
            ci = f"[{v.ci[0]:.4g}, {v.ci[1]:.4g}]" if v.ci else "-"
            figure = f"p = {v.p_value:.4g}" if v.p_value is not None else f"chance to win {v.chance_to_win:.4g}"
            typer.echo(f"  {metric.name} {v.name}: lift {v.lift:.4g} {ci}; {figure}")
    if full:
        for name, sql in view.queries.items():
            typer.echo(f"  query {name}: {sql}")
    typer.echo(f"  engine {view.engine_version}; sha256 {view.result_hash}")


def _snapshot_json(view) -> dict:
    from mechanisms.experiments import schemas

    return schemas.snapshot_out(view)


@experiments.command("analyse")
def analyse(
    key: str,
    through: str = typer.Option(None, "--through", help="the data's end, ISO 8601 with a time zone (default: now)"),
    final: bool = typer.Option(None, "--final/--not-final", help="the final analysis (default: when stopped)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Analyse an experiment on the server, where its data lives, and keep the immutable snapshot. (The offline
    statistics of a file is `analyze FILE`.)"""
    services = _services()
    at = None
    if through:
        try:
            at = dt.datetime.fromisoformat(through)
        except ValueError:
            fail(f"--through is not an ISO 8601 time: {through!r} (through)", EXIT_USAGE)
    actor = _as(as_)
    view = _analysis_run(lambda: services.analyse_experiment(actor=actor, key=key, through=at, final=final))
    if format == Format.json:
        emit_json(_snapshot_json(view))
    else:
        _print_snapshot(view, full=False)


@experiments.command("snapshots")
def list_snapshots(
    key: str,
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """An experiment's analyses, newest first."""
    services = _services()
    actor = _as(as_)
    page = _analysis_run(lambda: services.list_snapshots(actor=actor, key=key, limit=limit, offset=offset))
    if format == Format.json:
        from mechanisms.experiments import schemas

        emit_json({"items": [schemas.snapshot_summary(v) for v in page.items], "total": page.total})
        return
    rows = [
        (
            v.number,
            "final" if v.final else "",
            v.through.isoformat(timespec="minutes"),
            "/".join(str(n) for n in v.exposures),
            f"{v.srm_p:.3g}",
            v.recommendation.decision.value + (f" {v.recommendation.variation}" if v.recommendation.variation else ""),
            v.result_hash[:12],
        )
        for v in page.items
    ]
    emit_table(
        f"Analyses of {key}",
        ("#", "final", "through", "units", "SRM p", "recommendation", "sha256"),
        rows,
        page_footer(page),
    )


@experiments.command("snapshot")
def show_snapshot(key: str, number: int, as_: str = AS, format: Format = FORMAT):
    """One analysis: results, recommendation, the exact SQL run and the hash."""
    services = _services()
    actor = _as(as_)
    view = _analysis_run(lambda: services.get_snapshot(actor=actor, key=key, number=number))
    if format == Format.json:
        emit_json(_snapshot_json(view))
    else:
        _print_snapshot(view, full=True)


@experiments.command("verify")
def verify_snapshot(key: str, number: int, as_: str = AS, format: Format = FORMAT):
    """Recompute an analysis's hash and re-run its statistics from the stored sufficient statistics; exit 1 when
    either differs."""
    services = _services()
    actor = _as(as_)
    check = _analysis_run(lambda: services.verify_snapshot(actor=actor, key=key, number=number))
    if format == Format.json:
        from mechanisms.experiments import schemas

        emit_json(schemas.check_out(check))
    else:
        typer.echo(f"analysis {check.number} of {key}: " + ("verified" if check.ok else "DOES NOT VERIFY"))
        typer.echo(f"  stored sha256   {check.stored_hash}")
        typer.echo(f"  computed sha256 {check.computed_hash}")
        for difference in check.differences:
            typer.echo(f"  {difference}")
    if not check.ok:
        raise SystemExit(1)


# fourth part: the decision and review

# ------------------------------------------------------------------ fifth part: metric events and sources

events_cli = typer.Typer(help="Metric events in a data connection, for experiments' statistics.", no_args_is_help=True)
sources_cli = typer.Typer(help="Where a metric's per-unit events live (one SELECT of unit_id, ts, value).")
experiments.add_typer(events_cli, name="events")
experiments.add_typer(sources_cli, name="sources")
CONNECTION = typer.Option("default", "--connection", help="a data connection named in MECH_METRICS_CONNECTIONS")


def _events_lines(r) -> list[str]:
    per = ", ".join(f"{name} {count:,}" for name, count in r.per_metric.items())
    span = f" from {r.first:%Y-%m-%d %H:%M} to {r.last:%Y-%m-%d %H:%M} UTC" if r.first and r.last else ""
    return [f"{r.events:,} events loaded into {r.connection} from {r.file_name}{span}: {per}"]


def _source_lines(s) -> list[str]:
    return [f"{s.metric} on {s.connection}, version {s.version}", f"  {s.query}"]


def _out(value, fmt: Format, lines) -> None:
    if fmt == Format.json:
        emit_json(value)
    else:
        for line in lines(value):
            typer.echo(line)


@events_cli.command("load")
def events_load(
    file: Path = typer.Argument(..., help="a CSV: metric,unit_id,ts,value (ts ISO 8601, UTC unless it says)"),
    connection: str = CONNECTION,
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """Load a CSV of metric events, all or nothing. A bad file exits 2 naming the file, the line and the field of
    every problem; a busy DuckDB file exits 1 (try again)."""
    from mechanisms.kernel.errors import DomainError
    from mechanisms.kernel.importing import ImportFailed

    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    services = _services()
    actor = _as(as_)
    try:
        report = services.load_events_csv(actor=actor, content=content, file_name=file.name, connection=connection)
    except ImportFailed as exc:
        fail("\n".join(f"{file}: {p.field}: {p.message}" for p in exc.problems), EXIT_USAGE)
    except DomainError as exc:
        from mechanisms.kernel.errors import RuleViolation

        where = f" ({exc.field})" if exc.field else ""
        fail(f"{file}: {exc.message}{where}", EXIT_USAGE if isinstance(exc, RuleViolation) else 1)
    _out(report, format, _events_lines)


@sources_cli.command("set")
def sources_set(
    metric: str = typer.Argument(..., help="the registry metric's name"),
    query: str = typer.Option(None, "--query", help="one SELECT returning unit_id, ts, value"),
    query_file: Path = typer.Option(None, "--file", help="a file holding the SELECT"),
    connection: str = CONNECTION,
    version: int = typer.Option(None, "--version", help="the version you read (when changing)"),
    as_: str | None = AS,
    format: Format = FORMAT,
) -> None:
    """Set where the metric's per-unit events live: the SELECT is run once with no rows to check it."""
    if (query is None) == (query_file is None):
        fail("give the SELECT with --query or --file (one of them)", EXIT_USAGE)
    if query_file is not None:
        try:
            query = query_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{query_file}: cannot read: {exc}", EXIT_USAGE)
    services = _services()
    actor = _as(as_)
    source = run(
        lambda: services.set_metric_source(
            actor=actor, metric=metric, connection=connection, query=query, version=version
        )
    )
    _out(source, format, _source_lines)


@sources_cli.command("show")
def sources_show(metric: str, as_: str | None = AS, format: Format = FORMAT) -> None:
    """A metric's source (exit 1 when it has none: its events are read from the events table)."""
    services = _services()
    actor = _as(as_)
    found = run(lambda: services.find_metric_source(actor=actor, metric=metric))
    if found is None:
        fail(f"{metric} has no source; its events are read from mech_metric_events")
    _out(found, format, _source_lines)


@sources_cli.command("list")
def sources_list(limit: int = 50, offset: int = 0, as_: str | None = AS, format: Format = FORMAT) -> None:
    """The metric sources, by metric. Paginated."""
    services = _services()
    actor = _as(as_)
    page = run(lambda: services.list_metric_sources(actor=actor, limit=limit, offset=offset))
    if format == Format.json:
        emit_json(page)
        return
    rows = [(s.metric, s.connection, s.version, s.query) for s in page.items]
    emit_table("Metric sources", ["metric", "connection", "version", "query"], rows, page_footer(page))
