"""Private: computing a person's relations (org.contracts.Relations) once per request or command.

A page asks "may this person change that team?" ten times; each answer reads the same relations, so they are
computed in a fixed handful of queries and kept for the rest of the request (keyed by its correlation id). Every
org write bumps a generation counter, so a request that changes the org and then asks again sees its own change.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

from mechanisms.kernel import clock, correlation
from mechanisms.kernel.actor import Actor

from .contracts import OrgUnitId, PersonId, Relations, Role, TeamId
from .models import Membership as MembershipRow
from .models import OrgUnit as OrgUnitRow
from .models import Person as PersonRow
from .models import RoleGrant as RoleGrantRow
from .models import Team as TeamRow

T = TypeVar("T")

_generation = itertools.count()
_current_generation = [next(_generation)]
# One small dict per context: {(correlation id, generation, person id, is_admin): Relations}; a new correlation id
# (the next request) starts it afresh, so it never grows beyond one request's worth.
_cache: contextvars.ContextVar[tuple[str, dict] | None] = contextvars.ContextVar("org_relations", default=None)


def forget() -> None:
    """Drop every cached answer: called by each org write, and by tests between cases."""
    _current_generation[0] = next(_generation)


def relations_of(actor: Actor) -> Relations:
    """The actor's relations, from the cache when this request already computed them."""
    request_id = correlation.current()
    held = _cache.get()
    if held is None or held[0] != request_id:
        held = (request_id, {})
        _cache.set(held)
    key = (_current_generation[0], actor.person_id, actor.is_admin)
    found = held[1].get(key)
    if found is None:
        found = held[1][key] = compute(actor)
    return found


def cached(actor: Actor) -> Relations | None:
    """The actor's relations if this request already computed them, else None (nothing is computed)."""
    held = _cache.get()
    if held is None or held[0] != correlation.current():
        return None
    return held[1].get((_current_generation[0], actor.person_id, actor.is_admin))


def memo(key: str, actor: Actor, compute_one: Callable[[], T]) -> T:
    """A small fact about the actor (the roles they hold, whether anyone reports to them) computed once per request
    and org generation, in the same per-request cache as the relations."""
    request_id = correlation.current()
    held = _cache.get()
    if held is None or held[0] != request_id:
        held = (request_id, {})
        _cache.set(held)
    slot = (key, _current_generation[0], actor.person_id)
    if slot not in held[1]:
        held[1][slot] = compute_one()
    return held[1][slot]


def compute(actor: Actor) -> Relations:
    """Six small queries, whatever the size of the org: teams, teams led, the unit tree, the chain both ways,
    and the grants in force today."""
    person_id = actor.person_id
    units = list(OrgUnitRow.objects.values_list("id", "parent_id", "leader_id"))
    parents = {uid: parent for uid, parent, _ in units}
    if person_id is None:
        return Relations(person_id=None, is_admin=actor.is_admin, unit_parents=parents)
    today = clock.today()
    grants = (
        RoleGrantRow.objects.filter(person_id=person_id, starts_on__lte=today)
        .exclude(ends_on__lte=today)
        .values_list("role", "org_unit_id")
    )
    return Relations(
        person_id=PersonId(person_id),
        is_admin=actor.is_admin,
        member_of=frozenset(
            TeamId(t) for t in MembershipRow.objects.filter(person_id=person_id).values_list("team_id", flat=True)
        ),
        leads=frozenset(TeamId(t) for t in TeamRow.objects.filter(leader_id=person_id).values_list("id", flat=True)),
        leads_units=frozenset(OrgUnitId(uid) for uid, _, leader in units if leader == person_id),
        manages_below=frozenset(PersonId(p) for p in _below(person_id)),
        managed_by=tuple(PersonId(p) for p in _above(person_id)),
        roles=tuple((Role(role), OrgUnitId(unit) if unit else None) for role, unit in grants if role in _ROLES),
        unit_parents=parents,
    )


_ROLES = {r.value for r in Role}


def _below(person_id: int) -> list[int]:
    table = PersonRow._meta.db_table
    sql = (
        f"WITH RECURSIVE below(id) AS (SELECT id FROM {table} WHERE manager_id = %s "
        f"UNION SELECT p.id FROM {table} p JOIN below b ON p.manager_id = b.id) SELECT id FROM below"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [person_id])
        return [r[0] for r in cur.fetchall()]


def _above(person_id: int) -> list[int]:
    """Managers nearest first, by a recursive query bounded in depth, so a loop in bad data cannot hang it."""
    table = PersonRow._meta.db_table
    sql = (
        f"WITH RECURSIVE up(id, depth) AS (SELECT manager_id, 1 FROM {table} WHERE id = %s AND manager_id IS NOT NULL "
        f"UNION ALL SELECT p.manager_id, u.depth + 1 FROM {table} p JOIN up u ON p.id = u.id "
        f"WHERE p.manager_id IS NOT NULL AND u.depth < 64) SELECT id FROM up ORDER BY depth"
    )
    out: list[int] = []
    with connection.cursor() as cur:
        cur.execute(sql, [person_id])
        for (pid,) in cur.fetchall():
            if pid in out or pid == person_id:
                break
            out.append(pid)
    return out
