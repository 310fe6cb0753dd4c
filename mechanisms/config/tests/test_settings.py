"""Settings refuse what would run insecurely, and production passes Django's deployment checks (DESIGN.md §6).

Each case starts Python in a subprocess with its own environment, because settings are read once per process."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted(ROOT.joinpath("mechanisms").glob("*/templates/**/*.html"))


# What the test process itself has set (browser tests allow sync calls from async code) is no deployment setting.
NOT_INHERITED = ("MECH_ENV", "SECRET_KEY", "DATABASE_URL", "MECH_CSP", "DJANGO_ALLOW_ASYNC_UNSAFE")


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}


def run_python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = clean_environment()
    clean.update(env, MECH_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mechanisms.config.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=600
    )


def production(**extra: str) -> dict[str, str]:
    return {
        "MECH_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "mech.example.com",
        **extra,
    }


def test_a_missing_secret_key_outside_development_is_a_hard_error(tmp_path):
    result = run_python("import mechanisms.config.settings", tmp_path, MECH_ENV="production")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("value", ["prod", "Production", "staging", ""])
def test_a_mech_env_other_than_development_or_production_is_refused_at_startup(tmp_path, value):
    result = run_python("import mechanisms.config.settings", tmp_path, MECH_ENV=value, SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "MECH_ENV must be one of development, production" in (
        result.stderr
    )


def test_development_starts_without_a_secret_key(tmp_path):
    result = run_python("import mechanisms.config.settings as s; print(s.ENVIRONMENT)", tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "development"), result.stderr


def test_production_passes_check_deploy_with_no_warning_accepted(tmp_path):
    # No warning is accepted: --fail-level WARNING fails on any (the list of accepted ones is empty).
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean_environment(), **production(MECH_VAR_DIR=str(tmp_path))},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sends_a_content_security_policy_without_inline_or_foreign_script(tmp_path):
    result = run_python("import mechanisms.config.settings as s; print(s.MECH_CSP)", tmp_path, **production())
    policy = dict((part.split()[0], part.split()[1:]) for part in result.stdout.strip().split(";") if part.strip())
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    development = run_python("import mechanisms.config.settings as s; print(repr(s.MECH_CSP))", tmp_path)
    assert development.stdout.strip() == "''"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "mechanisms")))
def test_no_template_runs_inline_script_so_the_policy_holds(template):
    text = template.read_text()
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert all("src=" in tag for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text
    assert not re.search(r"<style\b", text), "a <style> element; CSS belongs in /static"
