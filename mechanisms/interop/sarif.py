"""Findings as SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) read.

Each result points at the file and line that caused it, so a back door shows up on the ``dependsOn`` line of the
pull request that added it. Waived findings stay in the log with an in-source suppression (the waiver is an
annotation in the catalog file), so the dashboard shows them as accepted rather than hiding them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from mechanisms.mandate.contracts import RULE_CATALOG, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "mechanisms"
INFORMATION_URI = "https://github.com/mechanisms/mechanisms/blob/main/docs/mandate-rules.md"


def to_sarif(findings: Iterable[Finding], *, tool_version: str = "0.1.0", notices: Iterable[str] = ()) -> dict:
    """A complete SARIF log with one run: the rule catalogue as ``tool.driver.rules`` and one result per finding."""
    rule_ids = list(RULE_CATALOG)
    rule_index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "results": [_result(finding, rule_index) for finding in findings],
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [{"level": "note", "message": {"text": notice}} for notice in notices],
            }
        ],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(rule_id: str) -> dict[str, Any]:
    info = RULE_CATALOG[rule_id]
    return {
        "id": info.id,
        "name": _camel(info.id),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": f"{info.title}. {info.hint}"},
        "help": {"text": info.hint, "markdown": f"**{info.title}.** {info.hint}"},
        "helpUri": f"{INFORMATION_URI}#{info.id.replace('/', '')}",
        "defaultConfiguration": {"level": info.severity},
        "properties": {"tags": [info.id.split("/", 1)[0]]},
    }


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    text = f"{finding.subject}: {finding.message}" if finding.message else finding.subject
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": finding.severity,
        "message": {"text": text},
        "partialFingerprints": {"mechanismsFinding/v1": _fingerprint(finding)},
        "properties": {"subject": finding.subject, "related": list(finding.related), "details": list(finding.details)},
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    location = finding.location
    if location.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": location.file}}
        if location.line:
            physical["region"] = {"startLine": location.line}
        result["locations"] = [{"physicalLocation": physical}]
    if finding.waiver is not None:
        waiver = finding.waiver
        result["suppressions"] = [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": f"{waiver.reason} (approved by {waiver.approver}, expires {waiver.expires})",
            }
        ]
    return result


def _fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves, so code scanning tracks one finding as it moves in a file."""
    key = "|".join((finding.rule, finding.subject, *finding.related))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _camel(rule_id: str) -> str:
    words = rule_id.replace("/", "-").split("-")
    return "".join(word.capitalize() for word in words)
