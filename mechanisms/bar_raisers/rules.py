"""Private pure rules of the bar-raisers app (MECHANISMS.md §4): the one independence rule. No Django, no ORM.

The server feeds it `org.contracts.OrgGraph` (from `org.services.org_graph`); the mandate's offline check feeds it
an adapter over its catalog index, so a waiver's approver is judged by the same code online and offline."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from .contracts import OrgGraph, P, T


def independence_problem(
    graph: OrgGraph[P, T],
    candidate: P,
    *,
    owner: P | None,
    teams: Iterable[T] = (),
    excluded: Collection[P] = (),
    owner_word: str = "owner",
    excluded_word: str = "excluded from this subject",
) -> str | None:
    """Why `candidate` may not be the bar raiser of a subject, or None when they are independent of it (§4).

    Independent means: not the owner (hiring manager, decision owner); not in the owner's management chain, up or
    down; not on any owning team, not its leader, not in that leader's chain up or down; not one of `excluded`
    (the recruiter). The message names the relation ("is the hiring manager's manager", "is on team payments",
    "is the recruiter") without the candidate's name, which the caller puts in front."""
    if owner is not None and candidate == owner:
        return f"is the {owner_word}"
    if candidate in excluded:
        return f"is the {excluded_word}"
    if owner is not None:
        problem = _chain_problem(graph, candidate, owner, f"the {owner_word}", possessive=True)
        if problem:
            return problem
    for team in teams:
        name = graph.team_name(team)
        leader = graph.team_leader(team)
        if leader is not None and candidate == leader:
            return f"leads team {name}"
        if candidate in graph.team_members(team):
            return f"is on team {name}"
        if leader is not None:
            problem = _chain_problem(graph, candidate, leader, f"the leader of team {name}", possessive=False)
            if problem:
                return problem
    return None


def _chain_problem(graph: OrgGraph[P, T], candidate: P, person: P, noun: str, *, possessive: bool) -> str | None:
    """How the candidate sits in `person`'s management chain, if they do: above (their manager or higher) or
    below (a direct or indirect report)."""
    above_person = graph.managers_above(person)
    if above_person[:1] == (candidate,):
        # "the hiring manager's manager" reads well; "the leader of team payments's manager" does not.
        return f"is {noun}'s manager" if possessive else f"manages {noun}"
    if candidate in above_person:
        return f"is above {noun} in the management chain"
    above_candidate = graph.managers_above(candidate)
    if above_candidate[:1] == (person,):
        return f"reports to {noun}"
    if person in above_candidate:
        return f"is below {noun} in the management chain"
    return None
