"""Benchmark: every page of the 2,000-team demo, rendered for a signed-in person, against a bare Django view.

Loads the demo organization at full scale (`mech demo --teams N`) into a SQLite file under `var/bench/`, kept and
reused by later runs (its name carries a hash of the demo generator and the migrations, so a change to either
builds a new one). Then, in this process, renders every page the web app routes (found from the URL patterns, so
a new page is measured without editing this file) through Django's test client, signed in as a team leader and
as an admin: the whole stack but the socket (middleware, sessions, templates, the database).

Prints JSON: per page and person, the status, the median and p95 time over `--runs` renders after warm-up, the
number of queries, and the ratio of the median to the floor measured in the same run (`/healthz`, a bare JSON
view through the same middleware). Goal (issue 9, item 8): every page under 100 ms. A goal is met only by a page
that rendered (status 200); a refused or failing page never counts as fast.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
GOAL_MS = 100.0
LEADER = "maya.chen"  # leads Checkout in the demo
ADMIN = "admin"
# A sample value for each URL parameter, by route name first, then by parameter name. The heaviest real cases:
# the root org unit (every team below it), the team and service with the most edges of the hand-written demo.
BY_ROUTE = {"unit": {"slug": "larkspur"}, "service-request-change": {"name": "payments-api"}}
BY_PARAM = {"slug": "checkout", "name": "checkout-api", "handle": LEADER, "request_id": "1"}
QUERIES = {"search": "?q=pay", "teams": "?q=a", "services": "?q=api"}
SKIPPED = {"signout", "signin"}  # signing out would end the session; the sign-in page is for anonymous callers


def cache_key(teams: int, seed: int) -> str:
    """The demo database's name: a change to the generator or to any migration makes a new one."""
    digest = hashlib.sha256()
    sources = [ROOT / "mechanisms" / "workflows" / "demo.py", *sorted(ROOT.glob("mechanisms/*/migrations/*.py"))]
    for path in sources:
        digest.update(path.read_bytes())
    return f"demo-{teams}-{seed}-{digest.hexdigest()[:12]}"


def ensure_demo(teams: int, seed: int) -> tuple[Path, float | None]:
    """The folder holding the demo database (MECH_VAR_DIR), built on first use; the build's seconds, or None."""
    folder = CACHE / cache_key(teams, seed)
    done = folder / "loaded"
    if done.exists():
        return folder, None
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("mechanisms.sqlite3*"):
        stale.unlink()  # a build that stopped half-way
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MECH_VAR_DIR=str(folder), LOG_LEVEL="ERROR")
    started = time.perf_counter()
    command = [sys.executable, "-m", "mechanisms.config.cli", "demo", "--teams", str(teams), "--seed", str(seed)]
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    done.write_text("ok\n")
    return folder, round(time.perf_counter() - started, 1)


def page_paths() -> list[tuple[str, str]]:
    """(route name, path) for every GET page of the web app, its parameters filled with sample values."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                space = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern) and namespace == "web" and pattern.name not in SKIPPED | {None}:
                route = prefix + str(pattern.pattern)
                params = {**BY_PARAM, **BY_ROUTE.get(pattern.name, {})}
                path, ok = "/", True
                for part in route.split("/"):
                    if part.startswith("<") and part.endswith(">"):
                        name = part[1:-1].split(":")[-1]
                        if name not in params:
                            ok = False  # an action or a record id with no sample (POST-only routes)
                            break
                        part = params[name]
                    path += part + "/"
                if ok:
                    found.append((pattern.name, path.rstrip("/") or "/"))

    walk(get_resolver().url_patterns, "", "")
    return sorted(set(found), key=lambda item: item[1])


def measure(client: Any, path: str, runs: int, warmup: int) -> dict[str, Any]:
    from django.db import connection

    for _ in range(warmup):
        client.get(path)
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper sees every statement the page runs (the debug query log is cleared at each request's start).
    with connection.execute_wrapper(count):
        response = client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "status": response.status_code,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
        "queries": len(queries),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=15, help="timed renders per page and person")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", help="measure only the paths containing this text")
    args = parser.parse_args(argv)

    folder, built_s = ensure_demo(args.teams, args.seed)
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(MECH_VAR_DIR=str(folder), DJANGO_SETTINGS_MODULE="mechanisms.config.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    figures: dict[str, Any] = {
        "teams": args.teams,
        "database": str(folder / "mechanisms.sqlite3"),
        "demo_build_s": built_s,
        "runs": args.runs,
        "goal_ms": GOAL_MS,
        "people": {},
    }
    users = get_user_model().objects
    paths = [(name, path + QUERIES.get(name, "")) for name, path in page_paths()]
    if args.only:
        paths = [(name, path) for name, path in paths if args.only in path]
    slow: list[str] = []
    failed: list[str] = []
    refused: list[str] = []
    for username in (LEADER, ADMIN):
        client = Client()
        client.force_login(users.get(username=username))
        floor = measure(client, "/healthz", args.runs, args.warmup)
        pages = {}
        for name, path in paths:
            result = measure(client, path, args.runs, args.warmup)
            result["route"] = name
            floor_ms = floor["median_ms"]
            result["ratio_to_floor"] = round(result["median_ms"] / floor_ms, 1) if floor_ms else None
            if result["status"] == 405:
                continue  # a form's POST-only address, not a page
            if result["status"] in (400, 403, 404):
                refused.append(f"{username} {path} ({result['status']})")  # refused to this person, or no sample
            elif result["status"] != 200:
                failed.append(f"{username} {path} ({result['status']})")
            elif result["median_ms"] >= GOAL_MS:
                slow.append(f"{username} {path} ({result['median_ms']} ms)")
            pages[path] = result
        figures["people"][username] = {"floor_healthz": floor, "pages": pages}
    figures["failed"] = failed
    figures["refused_or_no_sample"] = refused  # not timed against the goal: the page did not render for them
    figures["slow"] = slow
    figures["goals"] = {"every_page_under_100ms": not slow and not failed and bool(paths)}
    figures["load_average"] = [round(value, 2) for value in os.getloadavg()]  # a busy machine skews wall times
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
