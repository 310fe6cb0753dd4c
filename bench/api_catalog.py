"""Benchmark: the catalog API at 2,000 teams / 10,000 services, against a bare Django JSON view.

Loads the demo organization at full scale into a fresh SQLite database (or DATABASE_URL), serves it with
`mech serve` (gunicorn, several workers), and drives it with 16 concurrent keep-alive-free HTTP clients from
one asyncio process: paginated service lists, service details, and the floor (`/healthz`, a bare Django JSON
view through the same server and middleware). Prints JSON: requests/s, p50/p99 latency, and each ratio to
the floor. Goals (issue 2): detail >= 0.5 of the floor, list pages >= 0.35, p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MECH = [sys.executable, "-m", "mechanisms.config.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def fetch(host: str, port: int, path: str, token: str) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    return status, time.perf_counter() - started


async def drive(host: str, port: int, paths, token: str, seconds: float, clients: int) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        while time.perf_counter() < deadline:
            status, elapsed = await fetch(host, port, paths(rng), token)
            if status != 200:
                errors += 1
            latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "requests_per_s": round(n / wall, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: mech serve's)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mech-bench-"))
    env = dict(os.environ, MECH_VAR_DIR=str(workdir), LOG_LEVEL="ERROR")
    figures: dict = {
        "teams": args.teams,
        "clients": args.clients,
        "seconds_per_scenario": args.seconds,
        "database": "postgresql" if "DATABASE_URL" in env else "sqlite",
    }
    started = time.perf_counter()
    subprocess.run(
        [*MECH, "demo", "--teams", str(args.teams)], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    figures["demo_load_s"] = round(time.perf_counter() - started, 1)
    token = subprocess.run(
        [*MECH, "tokens", "create", "admin", "--name", "bench"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    serve = [*MECH, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    server = subprocess.Popen(serve, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        listing = (
            json.loads(
                subprocess.run(
                    [
                        "curl",
                        "-s",
                        "-H",
                        f"Authorization: Bearer {token}",
                        f"http://127.0.0.1:{port}/api/v1/services?limit=1",
                    ],
                    capture_output=True,
                    text=True,
                ).stdout
            )
            if shutil.which("curl")
            else None
        )
        total = listing["total"] if listing else 10000
        figures["services"] = total
        pages = max(total // 50, 1)
        scenarios = {
            "floor_bare_json_view": lambda rng: "/healthz",
            "service_detail": lambda rng: f"/api/v1/services/{rng.randint(1, total)}",
            "service_list_page": lambda rng: f"/api/v1/services?limit=50&offset={rng.randrange(pages) * 50}",
            "service_detail_full": lambda rng: f"/api/v1/services/{rng.randint(1, total)}/detail",
        }
        # Warm every worker's connection and caches before measuring.
        asyncio.run(drive("127.0.0.1", port, scenarios["service_detail"], token, 2.0, args.clients))
        results = {}
        for name, paths in scenarios.items():
            results[name] = asyncio.run(drive("127.0.0.1", port, paths, token, args.seconds, args.clients))
        floor = results["floor_bare_json_view"]["requests_per_s"]
        for r in results.values():
            r["ratio_to_floor"] = round(r["requests_per_s"] / floor, 3) if floor else None
        figures["results"] = results
        # A goal is met only by a run that succeeded: requests were made and none failed, in the scenario and in
        # the floor it is compared with (an error answered fast is not a fast page).
        ok = {name: r["requests"] > 0 and r["errors"] == 0 for name, r in results.items()}
        figures["succeeded"] = ok
        floor_ok = ok["floor_bare_json_view"]

        def ratio_met(name: str, goal: float) -> bool:
            return floor_ok and ok[name] and (results[name]["ratio_to_floor"] or 0) >= goal

        figures["goals"] = {
            "detail_ratio_at_least_0.5": ratio_met("service_detail", 0.5),
            "list_ratio_at_least_0.35": ratio_met("service_list_page", 0.35),
            "p99_under_100ms": all(
                ok[k] and results[k]["p99_ms"] is not None and results[k]["p99_ms"] < 100
                for k in ("service_detail", "service_list_page")
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
