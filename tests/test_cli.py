"""The `mech` command: in-process on the test database, and as real processes (demo, serve) on a fresh one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mechanisms.config.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_demo_then_list_and_show_as_json():
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "maya.chen" in result.output
    teams = json.loads(runner.invoke(app, ["teams", "list", "--format", "json", "--limit", "500"]).output)
    assert teams["total"] == 16 and len(teams["items"]) == 16
    shown = json.loads(runner.invoke(app, ["services", "show", "checkout-api", "--format", "json"]).output)
    assert shown["owner_team"] == "checkout"
    person = json.loads(runner.invoke(app, ["people", "show", "maya.chen", "--format", "json"]).output)
    assert person["leads"] == ["checkout"]


@pytest.mark.django_db
def test_team_rules_exit_1_when_the_org_breaks_a_rule():
    runner.invoke(app, ["demo"])
    result = runner.invoke(app, ["teams", "rules", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["oversized"][0]["slug"] == "search"


@pytest.mark.django_db
def test_export_import_round_trip_through_files(tmp_path):
    runner.invoke(app, ["demo"])
    out = tmp_path / "org.json"
    assert runner.invoke(app, ["export", "json", "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["import", "json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert sum(report["created"].values()) == 0 and sum(report["updated"].values()) == 0


@pytest.mark.django_db
def test_import_of_a_bad_file_names_the_file_the_location_and_the_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "mechanisms/v1", "people": [{"handle": "x", "name": "X", "email": "nope"}]}))
    result = runner.invoke(app, ["import", "json", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: people[0]" in result.output and "email" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "mechanisms/v1",\n "people": [}')
    result = runner.invoke(app, ["import", "json", str(broken)])
    assert result.exit_code == 2 and f"{broken}:2:" in result.output


@pytest.mark.django_db
def test_tokens_and_users_from_the_cli_authenticate_against_the_api(client):
    runner.invoke(app, ["demo"])
    result = runner.invoke(app, ["users", "create", "ops", "--admin"], input="longpassword\nlongpassword\n")
    assert result.exit_code == 0, result.output
    secret = runner.invoke(app, ["tokens", "create", "ops"]).output.strip().splitlines()[-1]
    response = client.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["total"] == 16


def _fresh_database_url(name: str):
    """A database of its own for a real `mech` process: a new file on SQLite, a new database on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None, None
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")

    def drop():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"{base}/{name}", drop


def test_mech_demo_and_serve_as_real_processes(tmp_path):
    env = dict(os.environ, MECH_VAR_DIR=str(tmp_path), LOG_LEVEL="ERROR")
    url, drop = _fresh_database_url(f"mech_cli_{os.getpid()}")
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
    mech = [sys.executable, "-m", "mechanisms.config.cli"]
    try:
        subprocess.run([*mech, "demo"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [*mech, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            body = None
            for _ in range(300):  # a busy machine starts gunicorn's workers slowly
                try:
                    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            assert body is not None and b'"/api/v1/services"' in body
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=5).read()
            assert b"<form" in page
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        if drop:
            drop()
