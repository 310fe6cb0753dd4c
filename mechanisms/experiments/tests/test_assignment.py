"""The pure assignment (experiments/assignment.py): GrowthBook's hash, the weighted ranges, the split.

The expected values are computed here from FNV-1a's definition (its shift-and-add form, not the module's
multiplication), checked against the FNV reference vectors and GrowthBook's published hash cases."""

from __future__ import annotations

import pytest
from scipy import stats

from mechanisms.experiments import assignment


def fnv_reference(text: str) -> int:
    """FNV-1a 32 from its definition, multiplying by the prime 2^24 + 2^8 + 0x93 as shifts and adds."""
    h = 2166136261
    for char in text:
        h ^= ord(char)
        h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) % 2**32
    return h


def expected_bucket(seed: str, unit: str, version: int) -> float:
    if version == 2:
        return (fnv_reference(str(fnv_reference(seed + unit))) % 10000) / 10000
    return (fnv_reference(unit + seed) % 1000) / 1000


# Landon Curt Noll's FNV-1a 32-bit test vectors.
FNV_VECTORS = {"": 0x811C9DC5, "a": 0xE40C292C, "foobar": 0xBF9CF968}

# GrowthBook's published hash cases (its SDKs' shared test cases): seed, unit, hash version, bucket.
GROWTHBOOK_CASES = [
    ("", "a", 1, 0.22),
    ("", "b", 1, 0.077),
    ("b", "a", 1, 0.946),
    ("ef", "d", 1, 0.652),
    ("asdf", "8952klfjas09ujk", 1, 0.549),
    ("", "123", 1, 0.011),
    ("", '___)((*":&', 1, 0.563),
    ("seed", "a", 2, 0.0505),
    ("seed", "b", 2, 0.2696),
    ("foo", "ab", 2, 0.2575),
    ("foo", "def", 2, 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
    ("90850943850283058242805", "123", 2, 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 2, 0.0128),
]


@pytest.mark.parametrize(("text", "value"), FNV_VECTORS.items())
def test_fnv1a32_matches_the_reference_vectors(text, value):
    assert assignment.fnv1a32(text) == value == fnv_reference(text)


@pytest.mark.parametrize(("seed", "unit", "version", "value"), GROWTHBOOK_CASES)
def test_bucket_matches_growthbooks_published_cases(seed, unit, version, value):
    assert assignment.bucket(seed, unit, version) == value


def test_bucket_matches_the_definition_on_many_units_and_both_versions():
    for version in (1, 2):
        for i in range(2000):
            unit = f"user-{i}-é"
            assert assignment.bucket("checkout-test", unit, version) == expected_bucket("checkout-test", unit, version)


def test_an_unknown_hash_version_is_refused():
    with pytest.raises(ValueError, match="hash_version"):
        assignment.bucket("k", "u", 3)


def test_ranges_are_cumulative_and_cover_the_unit_interval():
    assert assignment.ranges([0.5, 0.5]) == [(0.0, 0.5), (0.5, 1.0)]
    found = assignment.ranges([0.2, 0.3, 0.5])
    assert found[0] == (0.0, 0.2)
    assert found[1][0] == found[0][1] and found[2][0] == found[1][1]
    assert found[2][1] == pytest.approx(1.0, abs=1e-12)
    assert assignment.ranges([1.0, 0.0]) == [(0.0, 1.0), (1.0, 1.0)]


@pytest.mark.parametrize("weights", [[], [0.5, 0.6], [0.5, 0.4], [1.5, -0.5], [float("nan"), 1.0], [True, 0.0]])
def test_ranges_refuse_weights_that_are_not_a_split(weights):
    with pytest.raises(ValueError):
        assignment.ranges(weights)


def test_choose_takes_the_range_holding_the_bucket_start_inclusive():
    ranges = [(0.0, 0.25), (0.25, 0.75), (0.75, 1.0)]
    assert [assignment.choose(v, ranges) for v in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)] == [0, 0, 1, 1, 2, 2]
    assert assignment.choose(0.5, [(0.0, 0.25), (0.75, 1.0)]) is None
    assert assignment.choose(0.5, [(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)]) == 2  # an empty range takes nothing


def test_assign_is_the_bucket_in_the_weighted_ranges():
    weights = [0.1, 0.6, 0.3]
    for i in range(500):
        unit = f"u{i}"
        index, value = assignment.assign("exp", unit, weights, 2)
        value_expected = expected_bucket("exp", unit, 2)
        assert value == value_expected
        assert index == (0 if value_expected < 0.1 else 1 if value_expected < 0.7 else 2)


def test_assignment_is_stable_for_each_kept_hash_version():
    # Pinned from the definition: the same key, unit, weights and version give the same variation on every call
    # and every version of the code.
    for version in (1, 2):
        first = [assignment.assign("pricing-page", f"acct-{i}", [0.5, 0.5], version) for i in range(300)]
        again = [assignment.assign("pricing-page", f"acct-{i}", [0.5, 0.5], version) for i in range(300)]
        assert first == again
        assert [b for _, b in first] == [expected_bucket("pricing-page", f"acct-{i}", version) for i in range(300)]
    # The two versions are different hashes: keeping the version is what keeps a unit where it was.
    v1 = [assignment.assign("pricing-page", f"acct-{i}", [0.5, 0.5], 1)[0] for i in range(300)]
    v2 = [assignment.assign("pricing-page", f"acct-{i}", [0.5, 0.5], 2)[0] for i in range(300)]
    assert v1 != v2


def test_the_key_is_the_seed_units_are_reshuffled_between_experiments():
    a = [assignment.assign("exp-a", f"u{i}", [0.5, 0.5], 2)[0] for i in range(1000)]
    b = [assignment.assign("exp-b", f"u{i}", [0.5, 0.5], 2)[0] for i in range(1000)]
    agreement = sum(x == y for x, y in zip(a, b, strict=True)) / 1000
    assert 0.4 < agreement < 0.6  # independent halves agree about half the time


@pytest.mark.parametrize(("weights", "version"), [((0.5, 0.5), 2), ((0.2, 0.3, 0.5), 2), ((0.1, 0.9), 1)])
def test_the_split_follows_the_weights_over_100000_units(weights, version):
    units = 100_000
    counts = [0] * len(weights)
    ranges = assignment.ranges(weights)
    for i in range(units):
        counts[assignment.assign_in("split-check", f"visitor-{i}", ranges, version)[0]] += 1
    expected = [w * units for w in weights]
    p = stats.chisquare(counts, expected).pvalue
    assert p > 0.001
    for count, weight in zip(counts, weights, strict=True):
        assert abs(count / units - weight) < 0.01


@pytest.mark.parametrize(
    ("unit", "problem"),
    [
        ("", "empty"),
        ("x" * 201, "200"),
        ("a\nb", "printable"),
        ("a\x00", "printable"),
        (" padded", "space"),
        (42, "text"),
    ],
)
def test_unit_problem_names_what_is_wrong(unit, problem):
    assert problem in assignment.unit_problem(unit)


def test_unit_problem_accepts_ordinary_ids():
    for unit in ("1", "user-42", "x" * 200, "anna@example.com", "ü-ñ 7"):
        assert assignment.unit_problem(unit) is None
