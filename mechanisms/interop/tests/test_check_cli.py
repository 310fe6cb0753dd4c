"""`mech check` as a whole process: exact findings on the fixture catalogs, exit codes, JSON, SARIF and text."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = ROOT / "tests" / "fixtures" / "catalogs"
EXAMPLES = ROOT.parent / "shared" / "backstage-examples"
PLANTED = ["retail", "fintech", "clean", "dangling"]


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mechanisms.interop.cli", "check", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def check_json(*args: str) -> tuple[int, dict]:
    completed = run_check(*args, "--format", "json")
    return completed.returncode, json.loads(completed.stdout)


def pairs(items: list) -> Counter:
    return Counter(tuple(item) for item in items)


# -- exact findings on the planted catalogs ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PLANTED)
def test_planted_catalog_findings_match_exactly(name: str) -> None:
    expected = json.loads((CATALOGS / name / "expected.json").read_text())
    code, report = check_json(str(CATALOGS / name), "--today", expected["today"])
    found = Counter((finding["rule"], finding["subject"]) for finding in report["findings"])
    assert found == pairs(expected["findings"])
    waived = Counter((finding["rule"], finding["subject"]) for finding in report["findings"] if finding["waived"])
    assert waived == pairs(expected["waived"])
    invalid = Counter((item["rule"], item["subject"]) for item in report["summary"]["invalid_waivers"])
    assert invalid == pairs(expected["invalid_waivers"])
    assert report["summary"]["skipped_kinds"] == expected["skipped_kinds"]
    assert code == expected["exit_code"]


def test_following_locations_from_the_root_file_finds_the_same_catalog() -> None:
    _, from_folder = check_json(str(CATALOGS / "retail"), "--today", "2025-06-01")
    _, from_root = check_json(str(CATALOGS / "retail" / "catalog-info.yaml"), "--today", "2025-06-01")
    assert from_root["findings"] == from_folder["findings"]
    assert from_root["summary"]["entities"] == from_folder["summary"]["entities"] == 126


def test_expired_waiver_is_an_error_again_on_the_day_after_its_expiry() -> None:
    _, before = check_json(str(CATALOGS / "retail"), "--today", "2024-03-31")
    _, after = check_json(str(CATALOGS / "retail"), "--today", "2024-04-01")
    expired = [finding for finding in after["findings"] if finding["rule"] == "waiver/expired"]
    assert [finding["subject"] for finding in expired] == ["component:default/product-importer"]
    assert not any(finding["rule"] == "waiver/expired" for finding in before["findings"])
    importer = [
        finding
        for finding in before["findings"]
        if finding["rule"] == "mandate/back-door" and finding["subject"] == "component:default/product-importer"
    ]
    assert importer[0]["waived"] is True


def test_waived_findings_do_not_fail_the_check() -> None:
    code, report = check_json(str(CATALOGS / "clean"), "--today", "2025-06-01")
    assert code == 0
    assert report["summary"]["errors"] == 0 and report["summary"]["waived"] == 1


# -- unreadable input ----------------------------------------------------------------------------------------------

BROKEN = {
    "malformed-yaml": [("catalog-info.yaml", 15, "invalid YAML"), ("catalog-info.yaml", 26, "invalid YAML")],
    "duplicate-keys": [("catalog-info.yaml", 10, "duplicate mapping key")],
    "duplicate-names": [("b.yaml", 2, "duplicate entity: also defined at")],
    "bad-names": [
        ("catalog-info.yaml", 4, "invalid name 'checkout api'"),
        ("catalog-info.yaml", 13, "invalid name '-leading-dash'"),
        ("catalog-info.yaml", 22, "longer than 63"),
        ("catalog-info.yaml", 32, "invalid namespace 'Team_A'"),
        ("catalog-info.yaml", 40, "metadata.name is required"),
    ],
    "missing-text-file": [("catalog-info.yaml", 11, "$text file './openapi/missing.yaml' not found")],
    "bad-references": [
        ("catalog-info.yaml", 8, "spec.owner: malformed reference"),
        ("catalog-info.yaml", 9, "spec.providesApis must be a list"),
        ("catalog-info.yaml", 10, "reference mapping needs a non-empty string name"),
        ("catalog-info.yaml", 11, "component:shop/web/extra"),
    ],
    "bad-annotations": [
        ("catalog-info.yaml", 6, "mechanisms.dev/leader: must reference a user"),
        ("catalog-info.yaml", 7, "mechanisms.dev/status: must be one of"),
        ("catalog-info.yaml", 17, "bar-raiser-since: must be a date"),
        ("catalog-info.yaml", 18, "bar-raiser-capacity: must be a whole number"),
        ("catalog-info.yaml", 28, "expires must be a date"),
        ("catalog-info.yaml", 32, "waiver is missing approver"),
        ("catalog-info.yaml", 35, "unknown rule"),
        ("catalog-info.yaml", 49, "annotation values are strings"),
    ],
    "missing-fields": [
        ("catalog-info.yaml", 5, "spec.owner is required"),
        ("catalog-info.yaml", 13, "spec.definition is required"),
        ("catalog-info.yaml", 22, "spec.children is required"),
        ("catalog-info.yaml", 25, "apiVersion of a Component"),
        ("catalog-info.yaml", 34, "kind is required"),
    ],
    "missing-location-target": [("catalog-info.yaml", 8, "target './services/*.yaml' not found")],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unreadable_catalog_exits_2_with_every_error_located(name: str) -> None:
    completed = run_check(str(CATALOGS / "broken" / name))
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    for file, line, text in BROKEN[name]:
        prefix = f"tests/fixtures/catalogs/broken/{name}/{file}:{line}: "
        assert any(entry.startswith(prefix) and text in entry for entry in lines), (prefix, text, lines)
    assert len(lines) == len(BROKEN[name]) + 1  # every error, then the count


def test_unreadable_catalog_in_json_lists_the_errors() -> None:
    completed = run_check(str(CATALOGS / "broken" / "duplicate-names"), "--format", "json")
    assert completed.returncode == 2
    (error,) = json.loads(completed.stdout)["errors"]
    assert error["entity"] == "component:default/checkout"
    assert error["field"] == "metadata.name"
    assert error["file"].endswith("b.yaml") and error["line"] == 2


def test_missing_path_exits_2() -> None:
    assert run_check("does/not/exist").returncode == 2


def test_bad_option_values_exit_2() -> None:
    assert run_check(str(CATALOGS / "clean"), "--format", "xml").returncode == 2
    assert run_check(str(CATALOGS / "clean"), "--today", "tomorrow").returncode == 2


def test_unreachable_server_exits_2() -> None:
    completed = run_check("--server", "http://127.0.0.1:9")
    assert completed.returncode == 2
    assert "cannot be reached" in completed.stderr


# -- Backstage's own examples --------------------------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/backstage-examples is not beside the repository")
def test_backstage_examples_check_without_load_errors() -> None:
    code, report = check_json(str(EXAMPLES), "--today", "2025-06-01")
    assert code in (0, 1)
    assert report["summary"]["entities"] == 59
    unowned = {finding["subject"] for finding in report["findings"] if finding["rule"] == "catalog/unowned-service"}
    assert unowned == {
        "component:default/playback-order",  # owner: guest, read as group:default/guest, which does not exist
        "component:default/searcher",  # owned by user:guest
        "component:default/shuffle-api",
    }


# -- output shapes -------------------------------------------------------------------------------------------------


def test_json_shape_uses_full_lowercase_references() -> None:
    _, report = check_json(str(CATALOGS / "fintech"), "--today", "2025-06-01")
    assert set(report) == {"findings", "summary"}
    for finding in report["findings"]:
        assert {"rule", "severity", "subject", "related", "message", "location", "waived"} <= set(finding)
        assert set(finding["location"]) == {"file", "line"}
        for ref in (finding["subject"], *finding["related"]):
            kind, _, rest = ref.partition(":")
            assert ref == ref.lower() and kind and "/" in rest
    summary = report["summary"]
    assert {"errors", "warnings", "waived", "by_rule", "entities", "skipped_kinds", "invalid_waivers"} <= set(summary)
    assert summary["by_rule"]["mandate/back-door"] == 1


def test_not_externalizable_lists_every_failed_point() -> None:
    _, report = check_json(str(CATALOGS / "retail"), "--today", "2025-06-01")
    legacy = next(finding for finding in report["findings"] if finding["subject"] == "api:default/legacy-soap")
    assert [point.split(":")[0] for point in legacy["details"]] == [
        "version",
        "description",
        "authentication",
        "address",
    ]


def test_edge_findings_point_at_the_line_that_wrote_the_reference() -> None:
    _, report = check_json(str(CATALOGS / "retail"), "--today", "2025-06-01")
    link = next(
        finding
        for finding in report["findings"]
        if finding["rule"] == "mandate/direct-link" and finding["subject"] == "component:default/orders-service"
    )
    path = ROOT / link["location"]["file"]
    assert "component:risk-rules-lib" in path.read_text().splitlines()[link["location"]["line"] - 1]


def test_sarif_has_rules_results_lines_and_suppressions() -> None:
    completed = run_check(str(CATALOGS / "retail"), "--today", "2025-06-01", "--format", "sarif")
    assert completed.returncode == 1
    sarif = json.loads(completed.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mechanisms"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert "mandate/back-door" in rule_ids and all(rule["help"]["text"] for rule in driver["rules"])
    results = run["results"]
    assert len(results) == 18
    for result in results:
        assert result["level"] in ("error", "warning")
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert not physical["artifactLocation"]["uri"].startswith("/")
        assert physical["region"]["startLine"] >= 1
    suppressed = [result for result in results if result.get("suppressions")]
    assert [result["ruleId"] for result in suppressed] == ["mandate/back-door"]
    assert suppressed[0]["suppressions"][0]["kind"] == "inSource"


def test_text_output_groups_by_team_with_a_hint_and_a_summary() -> None:
    completed = run_check(str(CATALOGS / "retail"), "--today", "2025-06-01")
    assert completed.returncode == 1
    out = completed.stdout
    assert "group:default/orders" in out and "(no owning team)" in out
    assert "fix: Consume an interface of that service" in out
    assert "15 error(s), 2 warning(s), 1 waived" in out.splitlines()[-1]
    assert "skipped 1 Template entity" in out


# -- entry points --------------------------------------------------------------------------------------------------


def test_offline_check_imports_neither_django_nor_rich_nor_typer_on_the_json_path() -> None:
    code = (
        "import io, sys\n"
        "from mechanisms.interop.cli import run_check\n"
        f"run_check([{str(CATALOGS / 'retail')!r}], output_format='json', out=io.StringIO())\n"
        "print(sorted(m for m in ('django', 'rich', 'pydantic', 'typer') if m in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.stdout.strip() == "[]"


def test_typer_command_gives_the_same_result_as_the_fast_path() -> None:
    from typer.testing import CliRunner

    from mechanisms.interop.cli import app

    args = ["check", str(CATALOGS / "fintech"), "--format", "json", "--today", "2025-06-01"]
    invoked = CliRunner().invoke(app, args)
    assert invoked.exit_code == 1
    _, fast = check_json(str(CATALOGS / "fintech"), "--today", "2025-06-01")
    assert json.loads(invoked.stdout)["findings"] == fast["findings"]


def test_help_is_typers() -> None:
    completed = run_check("--help")
    assert completed.returncode == 0
    assert "--format" in completed.stdout and "--today" in completed.stdout
