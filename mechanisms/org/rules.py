"""Pure org rules (MECHANISMS.md §1), no ORM: the server and the offline checker use the same code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .contracts import SizeLevel, TeamLimits


def size_level(size: int, limits: TeamLimits) -> SizeLevel:
    """Two-pizza rule: target 6, warning above 8, violation above 10 (defaults an admin can change)."""
    if size > limits.violation_above:
        return SizeLevel.VIOLATION
    if size > limits.warning_above:
        return SizeLevel.WARNING
    return SizeLevel.OK


def multi_threaded_leaders(leader_by_team: Iterable[tuple[int, int | None]]) -> dict[int, list[int]]:
    """People leading more than one active team: {person: [teams]} (single-threaded leader rule)."""
    led: dict[int, list[int]] = {}
    for team_id, leader_id in leader_by_team:
        if leader_id is not None:
            led.setdefault(leader_id, []).append(team_id)
    return {person: sorted(teams) for person, teams in led.items() if len(teams) > 1}


def chain_upwards(start: int, manager_of: Mapping[int, int | None]) -> list[int]:
    """The management chain above `start`, nearest first; stops on a cycle rather than looping."""
    chain: list[int] = []
    seen = {start}
    current = manager_of.get(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = manager_of.get(current)
    return chain


def would_cycle(node: int, new_parent: int | None, parent_of: Mapping[int, int | None]) -> bool:
    """True when making `new_parent` the parent of `node` closes a loop (manager chain, org-unit tree)."""
    if new_parent is None:
        return False
    if new_parent == node:
        return True
    return node in chain_upwards(new_parent, parent_of)


def lowest_common_manager(a: int, b: int, manager_of: Mapping[int, int | None]) -> int | None:
    """The lowest person whose chain includes both a and b (a person counts as in their own chain)."""
    above_a = [a, *chain_upwards(a, manager_of)]
    above_b = {b, *chain_upwards(b, manager_of)}
    for person in above_a:
        if person in above_b:
            return person
    return None
