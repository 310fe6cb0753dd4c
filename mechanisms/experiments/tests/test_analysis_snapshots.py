"""The snapshot's hash (snapshots.py): canonical JSON that survives a JSON column's round trip, and a hash that
changes with any kept figure. Pure: no database."""

from __future__ import annotations

import hashlib
import json

import pytest

from mechanisms.experiments import snapshots
from mechanisms.experiments.contracts import Decision, Recommendation


def _content(**changes):
    content = {
        "experiment": "checkout-button",
        "number": 3,
        "through": "2026-03-01T00:00:00.000000+00:00",
        "plan_number": 1,
        "final": False,
        "engine_version": "mechanisms-stats 1",
        "queries": {"conversion": "SELECT 1"},
        "statistics": [{"name": "conversion", "variations": [{"n": 10, "sum": 3.0}]}],
        "settings": {"alpha": 0.05},
        "result": {"metrics": [{"name": "conversion", "variations": [{"lift": 0.031, "ci": [0.012, 0.05]}]}]},
        "recommendation": {"decision": "ship", "variation": "b"},
        "exposures": [10, 11],
        "srm_p": 0.83,
        "peeking": False,
    }
    return {**content, **changes}


def test_canonical_json_sorts_keys_and_writes_every_number_as_its_float():
    assert snapshots.canonical_json({"b": 1, "a": [2.5, None, True, "é"]}) == '{"a":[2.5,null,true,"\\u00e9"],"b":1.0}'
    # An integer-valued float and its integer read the same: a jsonb column may hand back either.
    assert snapshots.canonical_json({"n": 3}) == snapshots.canonical_json({"n": 3.0})
    assert snapshots.canonical_json(1e-10) == "1e-10"


def test_the_hash_is_the_sha256_of_the_canonical_text_and_survives_a_json_round_trip():
    content = _content()
    expected = hashlib.sha256(snapshots.canonical_json(content).encode()).hexdigest()
    assert snapshots.result_hash(content) == expected
    # What a JSON column gives back (floats and ints as written, keys in any order) hashes the same.
    again = json.loads(json.dumps(dict(reversed(list(content.items())))))
    assert snapshots.result_hash(again) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"srm_p": 0.8300000001},
        {"exposures": [10, 12]},
        {"number": 4},
        {"final": True},
        {"queries": {"conversion": "SELECT 2"}},
        {"result": {"metrics": [{"name": "conversion", "variations": [{"lift": 0.0311, "ci": [0.012, 0.05]}]}]}},
    ],
)
def test_any_kept_figure_changes_the_hash(change):
    assert snapshots.result_hash(_content(**change)) != snapshots.result_hash(_content())


def test_the_hash_needs_every_kept_part():
    content = _content()
    del content["queries"]
    with pytest.raises(KeyError, match="queries"):
        snapshots.result_hash(content)


def test_the_recommendation_round_trips():
    rec = Recommendation(Decision.SHIP, "b", "B raised conversion.", ("latency",))
    assert snapshots.recommendation_from_dict(json.loads(json.dumps(snapshots.recommendation_to_dict(rec)))) == rec
