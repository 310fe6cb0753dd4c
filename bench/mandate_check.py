"""Benchmark: `mech check` on a 41,000-entity catalog against the YAML parse floor and Backstage's validation.

Generates (seeded, deterministic) a Backstage catalog of 10,000 components, 2,000 teams, about 16,000 users,
8,000 APIs, 5,000 resources and about 60,000 edges (about 41,000 entities, 10 MB, in several files), then times,
as whole processes in the same run, best of N:

1. the full offline check: ``python -m mechanisms.interop.cli check DIR --format json``;
2. the parse floor: a process that only parses the same files with yaml_rs (and, for reference, PyYAML's CLoader);
3. Backstage's own parse and validation: ``node bench/node/check.js DIR`` (@backstage/catalog-model + js-yaml,
   installed from the npm registry into bench/node/ on first use).

Prints JSON: wall times (best of N) and CPU times (user + system, lowest of N) of each process, peak RSS, ratios,
the goal verdicts (check at least 2x faster than Backstage's validation, and within 3x the parse floor), and the
load average: on a machine busy with other work, wall times swing by 2x while CPU times stay steady. Not a test:
nothing here asserts.

    .venv/bin/python bench/mandate_check.py [--runs 3] [--seed 7] [--keep DIR] [--no-server-import]
    MECHANISMS_PARSER_THREADS=2 .venv/bin/python bench/mandate_check.py   # files parsed ahead in threads
    MECHANISMS_CHECK_HELPER=0 .venv/bin/python bench/mandate_check.py   # no helper process (=always: even when busy)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / "node"

DIVISIONS = 20
ORGS_PER_DIVISION = 5
TEAMS = 2_000
COMPONENTS_PER_TEAM = 5
APIS_PER_TEAM = 4
RESOURCES = 5_000
CONSUMES_PER_COMPONENT = 4
SECURITY = "    components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}\n"
STAFF_PER_ORG = 22  # people who sit in an org unit, not in a team: managers, program managers, specialists

FIRST_NAMES = (
    "ada",
    "grace",
    "linus",
    "barbara",
    "ken",
    "margaret",
    "alan",
    "frances",
    "dennis",
    "radia",
    "edsger",
    "hedy",
    "john",
    "katherine",
    "tim",
    "sophie",
    "guido",
    "anita",
    "bjarne",
    "lynn",
)
DOMAINS = (
    "orders",
    "payments",
    "catalog",
    "search",
    "checkout",
    "shipping",
    "returns",
    "pricing",
    "inventory",
    "reviews",
    "identity",
    "billing",
    "ledger",
    "fraud",
    "ads",
    "recommendations",
    "media",
    "support",
    "warehouse",
    "delivery",
)

PARSE_FLOOR = """
import sys, yaml_rs
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        yaml_rs.loads(handle.read(), parse_datetime=False)
"""
PARSE_PYYAML = """
import sys, yaml
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        list(yaml.load_all(handle.read(), Loader=yaml.CLoader))
"""


# -- the catalog -----------------------------------------------------------------------------------------------


@dataclass
class Team:
    name: str
    division: int
    org: str
    members: list[str] = field(default_factory=list)
    leader: str | None = None
    components: list[str] = field(default_factory=list)
    apis: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    """The generated organization, kept in memory only long enough to write it out."""

    teams: list[Team] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)  # person -> manager
    staff: dict[str, list[str]] = field(default_factory=dict)  # org unit -> people outside teams
    bar_raisers: list[str] = field(default_factory=list)
    edges: int = 0
    entities: int = 0


def generate(folder: Path, seed: int) -> Catalog:
    """Write the catalog into ``folder``: one sub-folder per division and a root Location pointing at them."""
    rng = random.Random(seed)
    catalog = _organization(rng)
    folder.mkdir(parents=True, exist_ok=True)
    for division in range(DIVISIONS):
        teams = [team for team in catalog.teams if team.division == division]
        target = folder / f"division-{division:02d}"
        target.mkdir(exist_ok=True)
        _write(target / "org.yaml", _org_documents(division, teams, catalog))
        _write(target / "users.yaml", _user_documents(teams, catalog))
        _write(target / "components.yaml", _component_documents(rng, teams, catalog))
        _write(target / "apis.yaml", _api_documents(rng, teams, catalog))
        _write(target / "resources.yaml", _resource_documents(teams, catalog))
    _write(folder / "catalog-info.yaml", [_location()])
    catalog.entities += 1
    return catalog


def _organization(rng: random.Random) -> Catalog:
    catalog = Catalog()
    person = 0
    for number in range(TEAMS):
        division = number % DIVISIONS
        org = f"org-{division:02d}-{(number // DIVISIONS) % ORGS_PER_DIVISION}"
        team = Team(f"{DOMAINS[number % len(DOMAINS)]}-{number:04d}", division, org)
        roll = rng.random()
        size = rng.randint(11, 12) if roll < 0.03 else rng.randint(9, 10) if roll < 0.13 else rng.randint(5, 8)
        for _ in range(size):
            person += 1
            team.members.append(f"{FIRST_NAMES[person % len(FIRST_NAMES)]}.{person:05d}")
        if rng.random() > 0.02:  # about 2% of teams have no single-threaded leader
            team.leader = team.members[0]
        resources = 3 if number < RESOURCES - 2 * TEAMS else 2
        team.resources = [f"{team.name}-db{position}" for position in range(resources)]
        team.components = [f"{team.name}-s{position}" for position in range(COMPONENTS_PER_TEAM)]
        team.apis = [f"{team.name}-api{position}" for position in range(APIS_PER_TEAM)]
        catalog.teams.append(team)
    for index in range(7, TEAMS - 1, 200):  # a few people lead two teams
        if catalog.teams[index].leader is not None:
            catalog.teams[index + 1].leader = catalog.teams[index].leader
    leaders = list(dict.fromkeys(team.leader for team in catalog.teams if team.leader))
    senior = {leader: leaders[(position // 10) * 10] for position, leader in enumerate(leaders)}
    for team in catalog.teams:
        for member in team.members:
            catalog.people[member] = team.leader if team.leader and member != team.leader else ""
    for leader, manager in senior.items():
        catalog.people[leader] = manager if manager != leader else ""
    for org in sorted({team.org for team in catalog.teams}):
        catalog.staff[org] = []
        for _ in range(STAFF_PER_ORG):
            person += 1
            name = f"{FIRST_NAMES[person % len(FIRST_NAMES)]}.{person:05d}"
            catalog.staff[org].append(name)
            catalog.people[name] = leaders[person % len(leaders)]
    catalog.bar_raisers = [name for position, name in enumerate(catalog.people) if position % 50 == 3]
    return catalog


def _org_documents(division: int, teams: list[Team], catalog: Catalog) -> Iterator[str]:
    orgs = sorted({team.org for team in teams})
    yield _group(f"division-{division:02d}", "division", "acme" if division else None, orgs)
    if division == 0:
        yield _group("acme", "organization", None, [f"division-{number:02d}" for number in range(DIVISIONS)])
        catalog.entities += 1
    for org in orgs:
        yield _group(org, "org", f"division-{division:02d}", [])
    catalog.entities += 1 + len(orgs)
    for team in teams:
        annotations = {"mechanisms.dev/status": "active"}
        if team.leader:
            annotations["mechanisms.dev/leader"] = f"user:{team.leader}"
        yield (
            f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {team.name}\n"
            f"  description: Owns {team.name.rsplit('-', 1)[0]} for its customers\n"
            f"{_annotations(annotations)}spec:\n  type: team\n  profile:\n    displayName: {team.name.title()}\n"
            f"    email: {team.name}@example.com\n  parent: {team.org}\n  children: []\n"
        )
        catalog.entities += 1


def _group(name: str, kind: str, parent: str | None, children: list[str]) -> str:
    parent_line = f"  parent: {parent}\n" if parent else ""
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: {kind}\n"
        f"{parent_line}  children: [{', '.join(children)}]\n"
    )


def _user_documents(teams: list[Team], catalog: Catalog) -> Iterator[str]:
    bar_raisers = set(catalog.bar_raisers)
    groups = [(team.name, team.members) for team in teams]
    groups += [(org, catalog.staff[org]) for org in sorted({team.org for team in teams})]
    for group, members in groups:
        for member in members:
            annotations = {}
            if catalog.people.get(member):
                annotations["mechanisms.dev/manager"] = f"user:{catalog.people[member]}"
            if member in bar_raisers:
                annotations["mechanisms.dev/bar-raiser-since"] = "2023-03-01"
                annotations["mechanisms.dev/bar-raiser-capacity"] = "2"
            yield (
                f"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {member}\n"
                f"{_annotations(annotations)}spec:\n  profile:\n    email: {member}@example.com\n"
                f"  memberOf: [{group}]\n"
            )
            catalog.entities += 1


def _component_documents(rng: random.Random, teams: list[Team], catalog: Catalog) -> Iterator[str]:
    all_teams = catalog.teams
    for team in teams:
        for position, component in enumerate(team.components):
            consumes = sorted({rng.choice(rng.choice(all_teams).apis) for _ in range(CONSUMES_PER_COMPONENT)})
            resource = team.resources[position % len(team.resources)]
            if rng.random() < 0.02:  # a back door into another team's database
                resource = rng.choice(all_teams).resources[0]
            linked = team.components[(position + 1) % COMPONENTS_PER_TEAM]
            if rng.random() < 0.02:
                linked = rng.choice(rng.choice(all_teams).components)
            owner = f"user:{team.members[-1]}" if rng.random() < 0.01 else team.name
            provides = f"  providesApis: [{team.apis[position]}]\n" if position < APIS_PER_TEAM else ""
            catalog.edges += len(consumes) + 2
            yield (
                f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {component}\n"
                f"  description: Serves {team.name.rsplit('-', 1)[0]} requests\n"
                f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n{provides}"
                f"  consumesApis: [{', '.join(consumes)}]\n"
                f"  dependsOn:\n    - resource:{resource}\n    - component:{linked}\n"
            )
            catalog.entities += 1


def _api_documents(rng: random.Random, teams: list[Team], catalog: Catalog) -> Iterator[str]:
    for team in teams:
        for api in team.apis:
            roll = rng.random()
            security = "" if roll < 0.03 else SECURITY
            host = "http://localhost:8080" if 0.03 <= roll < 0.04 else f"https://{api}.example.com/v1"
            yield (
                f"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {api}\n"
                f"  description: {api.replace('-', ' ').title()}\nspec:\n  type: openapi\n  lifecycle: production\n"
                f"  owner: {team.name}\n  definition: |\n    openapi: 3.0.3\n"
                f"    info: {{title: {api}, version: 1.{rng.randint(0, 9)}.0}}\n"
                f'    servers: [{{url: "{host}"}}]\n'
                f"    paths: {{/items: {{get: {{responses: {{'200': {{description: OK}}}}}}}}}}\n{security}"
            )
            catalog.entities += 1


def _resource_documents(teams: list[Team], catalog: Catalog) -> Iterator[str]:
    for team in teams:
        for position, name in enumerate(team.resources):
            owner_service = team.components[position % len(team.components)]
            yield (
                f"apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: {name}\n"
                f"  annotations:\n    mechanisms.dev/owner-service: component:{owner_service}\n"
                f"spec:\n  type: database\n  owner: {team.name}\n"
            )
            catalog.entities += 1


def _location() -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: acme-catalog\n"
        "  description: Every division's catalog files\nspec:\n  targets:\n    - ./division-*/*.yaml\n"
    )


def _annotations(values: dict[str, str]) -> str:
    if not values:
        return ""
    return "  annotations:\n" + "".join(f"    {key}: {json.dumps(value)}\n" for key, value in values.items())


def _write(path: Path, documents: Iterator[str] | list[str]) -> None:
    path.write_text("---\n".join(documents), encoding="utf-8")


# -- timing ------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system, the process and the children it waited for: steady on a busy machine
    peak_rss_mb: float
    exit_code: int
    stdout: bytes
    exit_codes: tuple[int, ...] = ()  # of every run of best_of: the fastest run may be one that failed early


def run_process(command: list[str], *, cwd: Path) -> Run:
    """Run one process to completion; its own peak RSS comes from wait4, so runs never mix."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Run(elapsed, cpu, usage.ru_maxrss / 1024, process.returncode, out.read())


def best_of(command: list[str], runs: int, *, cwd: Path = ROOT) -> tuple[Run, list[float]]:
    """The fastest of ``runs`` runs, with every run's wall time; its CPU time is the lowest seen."""
    results = [run_process(command, cwd=cwd) for _ in range(runs)]
    best = min(results, key=lambda run: run.seconds)
    best.cpu_seconds = min(run.cpu_seconds for run in results)
    best.exit_codes = tuple(run.exit_code for run in results)
    return best, [round(run.seconds, 3) for run in results]


def ensure_backstage() -> list[str] | None:
    """The Node command for Backstage's validation, installing its two packages on first use; None without Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return None
    if not (NODE_DIR / "node_modules" / "@backstage" / "catalog-model").is_dir():
        if npm is None:
            return None
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return [node, str(NODE_DIR / "check.js")]


def server_import_figures(catalog_dir: Path, runs: int) -> dict[str, Any] | None:
    """A server import of the same catalog (`mech import backstage`) into a fresh SQLite database, as a whole
    process (migrations included), once: goal under 60 s. Then a second import of the same files, which must
    change nothing (idempotence) and shows the cost of a re-sync."""
    del runs
    root = Path(__file__).resolve().parent.parent
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mandate-import-") as var:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["MECH_VAR_DIR"] = var
        command = [sys.executable, "-m", "mechanisms.config.cli", "import", "backstage", str(catalog_dir)]
        for label in ("first_import_s", "reimport_s"):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
            figures[label] = round(time.perf_counter() - started, 2)
            if done.returncode != 0:
                figures["error"] = (done.stderr or done.stdout)[-2000:]
                return figures
            report = json.loads(done.stdout)
            figures[label.replace("_s", "_created")] = sum(report["created"].values())
            figures[label.replace("_s", "_updated")] = sum(report["updated"].values())
    # Reached only when both imports exited 0 (a failed import returns above, with no goal at all).
    figures["goal_under_60s"] = figures["first_import_s"] < 60
    return figures


def catalog_files(folder: Path) -> list[str]:
    return sorted(str(path) for path in folder.rglob("*.yaml"))


def measure(folder: Path, catalog: Catalog, runs: int, seed: int, *, server_import: bool = True) -> dict[str, Any]:
    files = catalog_files(folder)
    python = sys.executable
    check, check_runs = best_of(
        [python, "-m", "mechanisms.interop.cli", "check", str(folder), "--format", "json"], runs
    )
    floor, floor_runs = best_of([python, "-c", PARSE_FLOOR, *files], runs)
    pyyaml, pyyaml_runs = best_of([python, "-c", PARSE_PYYAML, *files], runs)
    # A goal is met only by runs that succeeded: the check exits 0 (clean) or 1 (findings), never 2 (unreadable) or
    # a crash, the parse floors exit 0, in every run; a fast failure is not a fast check.
    succeeded = {
        "check": bool(check.exit_codes) and all(code in (0, 1) for code in check.exit_codes),
        "parse_floor_yaml_rs": all(code == 0 for code in floor.exit_codes),
        "parse_pyyaml_cloader": all(code == 0 for code in pyyaml.exit_codes),
    }
    report = json.loads(check.stdout) if succeeded["check"] else {"summary": {}}
    figures: dict[str, Any] = {
        "catalog": {
            "entities": catalog.entities,
            "teams": len(catalog.teams),
            "people": len(catalog.people),
            "edges": catalog.edges,
            "files": len(files),
            "megabytes": round(sum(os.path.getsize(path) for path in files) / 1e6, 2),
            "seed": seed,
        },
        "times_s": {
            "check": round(check.seconds, 3),
            "parse_floor_yaml_rs": round(floor.seconds, 3),
            "parse_pyyaml_cloader": round(pyyaml.seconds, 3),
        },
        "cpu_s": {
            "check": round(check.cpu_seconds, 3),
            "parse_floor_yaml_rs": round(floor.cpu_seconds, 3),
            "parse_pyyaml_cloader": round(pyyaml.cpu_seconds, 3),
        },
        "runs_s": {"check": check_runs, "parse_floor_yaml_rs": floor_runs, "parse_pyyaml_cloader": pyyaml_runs},
        "peak_rss_mb": {
            "check": round(check.peak_rss_mb, 1),
            "parse_floor_yaml_rs": round(floor.peak_rss_mb, 1),
            "parse_pyyaml_cloader": round(pyyaml.peak_rss_mb, 1),
        },
        "succeeded": succeeded,
        "check": {
            "exit_code": check.exit_code,
            "exit_codes": list(check.exit_codes),
            "findings": len(report.get("findings", [])),
            "entities": report["summary"].get("entities"),
            "by_rule": report["summary"].get("by_rule"),
        },
    }
    backstage_command = ensure_backstage()
    if backstage_command is not None:
        backstage, backstage_runs = best_of([*backstage_command, str(folder)], runs)
        figures["times_s"]["backstage_validate"] = round(backstage.seconds, 3)
        figures["cpu_s"]["backstage_validate"] = round(backstage.cpu_seconds, 3)
        figures["runs_s"]["backstage_validate"] = backstage_runs
        figures["peak_rss_mb"]["backstage_validate"] = round(backstage.peak_rss_mb, 1)
        ok = all(code == 0 for code in backstage.exit_codes)
        succeeded["backstage_validate"] = ok
        figures["backstage"] = json.loads(backstage.stdout) if ok else {"exit_code": backstage.exit_code}
    times, cpu = figures["times_s"], figures["cpu_s"]
    figures["ratios"] = {
        "check_over_parse_floor": round(times["check"] / times["parse_floor_yaml_rs"], 2),
        "pyyaml_over_parse_floor": round(times["parse_pyyaml_cloader"] / times["parse_floor_yaml_rs"], 2),
        "cpu_check_over_parse_floor": round(cpu["check"] / cpu["parse_floor_yaml_rs"], 2),
    }
    figures["goals"] = {
        "check_within_3x_parse_floor": succeeded["check"]
        and succeeded["parse_floor_yaml_rs"]
        and times["check"] <= 3 * times["parse_floor_yaml_rs"]
    }
    if "backstage_validate" in times:
        figures["ratios"]["backstage_over_check"] = round(times["backstage_validate"] / times["check"], 2)
        figures["ratios"]["cpu_backstage_over_check"] = round(cpu["backstage_validate"] / cpu["check"], 2)
        figures["goals"]["check_2x_faster_than_backstage"] = (
            succeeded["check"] and succeeded["backstage_validate"] and times["backstage_validate"] >= 2 * times["check"]
        )
    figures["load_average"] = [round(value, 2) for value in os.getloadavg()]  # a busy machine skews wall times
    if server_import:
        figures["server_import"] = server_import_figures(folder, runs)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per process; the best is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the catalog here and keep it")
    parser.add_argument("--no-server-import", action="store_true", help="skip the server import (it takes minutes)")
    args = parser.parse_args(argv)
    # An installed package carries its bytecode; a checkout run with PYTHONDONTWRITEBYTECODE=1 (as here) would
    # recompile every module on every run. Compile once, as `pip install` does, so the check is timed as installed.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mechanisms")], check=True)
    with tempfile.TemporaryDirectory(prefix="mandate-bench-") as scratch:
        folder = args.keep or Path(scratch) / "catalog"
        catalog = generate(folder, args.seed)
        figures = measure(folder, catalog, args.runs, args.seed, server_import=not args.no_server_import)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
