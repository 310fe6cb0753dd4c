"""Pure deterministic assignment (MECHANISMS.md §9): hash(experiment key, unit id) into weighted buckets. No Django,
standard library only: any service can embed this module and get the same variation the API serves.

The hash is GrowthBook's, so a unit lands in the same variation here and in a GrowthBook SDK given the same seed
(the experiment key) and the same weights:

- FNV-1a, 32 bits: start at 0x811C9DC5; for each character, xor its code point, multiply by 0x01000193, keep 32
  bits. (GrowthBook's Python SDK reads code points; its JavaScript SDK reads UTF-16 code units, which differ only
  for characters outside the Basic Multilingual Plane.)
- hash version 2 (the default, GrowthBook's current one): fnv1a32 of the decimal text of fnv1a32(seed + unit),
  modulo 10,000, divided by 10,000: a bucket in [0, 0.9999] in steps of 1/10,000;
- hash version 1 (GrowthBook's first): fnv1a32(unit + seed) modulo 1,000, divided by 1,000.

The weights become cumulative ranges covering [0, 1): variation i takes [w0 + ... + w(i-1), w0 + ... + wi). A
bucket falls in exactly one range.

The hash version is kept with the experiment and with each exposure, so a re-analysis recomputes exactly the split
the units saw, and the sample-ratio check compares the units against the weights they were hashed with (a change
of hash version would move units between variations: it is never made to a running experiment).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
HASH_VERSIONS = (1, 2)
WEIGHT_TOLERANCE = 1e-9  # the weights sum to 1 within this
MAX_UNIT_ID = 200  # characters


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash of the text's code points."""
    value = FNV_OFFSET
    for char in text:
        value = ((value ^ ord(char)) * FNV_PRIME) & 0xFFFFFFFF
    return value


def bucket(seed: str, unit_id: str, hash_version: int) -> float:
    """The unit's bucket in [0, 1) for this seed (the experiment key), by GrowthBook's hash of that version."""
    if hash_version == 2:
        return (fnv1a32(str(fnv1a32(seed + unit_id))) % 10000) / 10000
    if hash_version == 1:
        return (fnv1a32(unit_id + seed) % 1000) / 1000
    raise ValueError(f"hash_version must be one of {', '.join(map(str, HASH_VERSIONS))}")


def ranges(weights: Sequence[float]) -> list[tuple[float, float]]:
    """The bucket range of each variation, in order: cumulative, covering [0, 1). Raises ValueError when a weight
    is negative or not a number, or the weights do not sum to 1."""
    if not weights:
        raise ValueError("at least one weight")
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
            raise ValueError("each weight is a number from 0 to 1")
    if abs(math.fsum(weights) - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError("the weights must sum to 1")
    found: list[tuple[float, float]] = []
    cumulative = 0.0
    for weight in weights:
        start = cumulative
        cumulative += weight
        found.append((start, cumulative))
    return found


def choose(value: float, bucket_ranges: Sequence[tuple[float, float]]) -> int | None:
    """The index of the range holding the bucket (start inclusive, end exclusive), or None when none does."""
    for index, (start, end) in enumerate(bucket_ranges):
        if start <= value < end:
            return index
    return None


def assign(key: str, unit_id: str, weights: Sequence[float], hash_version: int) -> tuple[int, float]:
    """The variation (its index, the control 0) and bucket of a unit in the experiment with this key."""
    return assign_in(key, unit_id, ranges(weights), hash_version)


def assign_in(
    key: str, unit_id: str, bucket_ranges: Sequence[tuple[float, float]], hash_version: int
) -> tuple[int, float]:
    """`assign` with the ranges already computed (a server keeps them per experiment)."""
    value = bucket(key, unit_id, hash_version)
    index = choose(value, bucket_ranges)
    if index is None:  # only when the last weights round below the bucket: the last variation with weight takes it
        index = max(i for i, (start, end) in enumerate(bucket_ranges) if end > start)
    return index, value


def unit_problem(unit_id: object) -> str | None:
    """Why this is not a unit id (None when it is one): text of 1 to 200 printable characters."""
    if not isinstance(unit_id, str):
        return "must be text"
    if not unit_id:
        return "must not be empty"
    if len(unit_id) > MAX_UNIT_ID:
        return f"must be at most {MAX_UNIT_ID} characters"
    if not unit_id.isprintable():
        return "must be printable characters (no control characters, tabs or line breaks)"
    if unit_id.strip() != unit_id:
        return "must not start or end with a space"
    return None
