"""The classes of bad input a schema-driven fuzzer rarely sends, for every body field of every operation with a JSON
body: integers beyond 64 bits, a lone surrogate, NUL, a 100k-character text, wrong JSON types. Each must be a
client error with the JSON error body, never a server error (issue 8, item 8).

The rest of each body is made valid from the OpenAPI document (required fields filled with plausible values and
path ids of real records), so a bad value that slipped past validation would reach the services and the database.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

JSON = "application/json"
BAD_VALUES = {
    "2**64": 2**64,
    "-2**70": -(2**70),
    "surrogate": "\ud800",
    "nul": "a\x00b",
    "100k": "x" * 100_000,
    "list": [1, "\udfff", 2**65],
    "object": {"\ud800": 2**64},
    "true": True,
    "float": 1.5e308,
    "null": None,
}


def deref(spec: dict, node: dict) -> dict:
    """The schema `node` names, following `$ref` and a single-member `allOf`/`anyOf` (pydantic's Optional)."""
    while True:
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        elif "anyOf" in node:
            node = next((n for n in node["anyOf"] if n.get("type") != "null"), node["anyOf"][0])
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node


def plausible(spec: dict, node: dict, name: str, ids: dict[str, int]):
    node = deref(spec, node)
    if "default" in node:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "integer":
        return (
            ids.get(name, ids["any"]) if name.endswith("_id") or name == "version" else max(node.get("minimum", 1), 1)
        )
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        properties = node.get("properties", {})
        return {k: plausible(spec, v, k, ids) for k, v in properties.items() if k in node.get("required", [])}
    if node.get("format") == "date":
        return "2026-06-30"
    return "fuzz-value-with-enough-characters"


def operations_with_bodies(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if content:
                yield path, method, deref(spec, content["schema"])


@pytest.fixture
def spec(small_org, as_):
    return as_("admin").get("/api/openapi.json").json()


def test_every_body_field_refuses_hostile_values_without_a_server_error(small_org, as_, spec):
    ids = {
        "any": small_org.teams["checkout"].id,
        "team_id": small_org.teams["checkout"].id,
        "org_unit_id": small_org.units["retail"].id,
        "person_id": small_org.people["bob"].id,
        "service_id": small_org.services["checkout-api"].id,
        "interface_id": small_org.interfaces["checkout-http"].id,
        "datastore_id": small_org.datastores["orders-db"].id,
        "version": 1,
    }
    client = as_("admin")
    failures: list[str] = []
    sent = 0
    for path, method, body_schema in operations_with_bodies(spec):
        url = re.sub(r"\{(?:int:)?(\w+)\}", lambda m: str(ids.get(m.group(1), ids["any"])), path)
        base = plausible(spec, body_schema, "", ids)
        for field in deref(spec, body_schema).get("properties", {}):
            for label, value in BAD_VALUES.items():
                body = {**base, field: value}
                response = getattr(client, method)(url, json.dumps(body), content_type=JSON)
                sent += 1
                where = f"{method.upper()} {path} {field}={label}: {response.status_code}"
                if response.status_code >= 500:
                    failures.append(where + " " + response.content[:200].decode(errors="replace"))
                elif response.status_code >= 400:
                    error = response.json().get("error") if response["Content-Type"].startswith(JSON) else None
                    if not (isinstance(error, dict) and {"code", "message"} <= set(error)):
                        failures.append(where + " without the JSON error body")
    assert sent > 500, sent  # every operation with a body was reached
    assert not failures, "\n".join(failures[:40])
