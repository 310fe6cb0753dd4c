"""The service-level apply of a declared machine (kernel/machines.py): one transaction per transition.

Order (docs/machines.md): the version the caller read (a stale one is a 409) -> the state, the facts' guard and the
party (400 / 403 naming the rule) -> the input (400 naming the field) -> the input rule -> the effect (the field
changes; it may refuse too, e.g. a contact who is not a member) -> compare-and-set on the version -> the owning
app's record hook: timeline event, audit record, notifications on commit. Any refusal leaves nothing written.

The kernel knows no app: the owning app binds its model, its facts, its parties and its record hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction

from .actor import Actor
from .concurrency import compare_and_set, conflict
from .errors import Conflict
from .machines import Machine, Transition, judge

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Step(Generic[C]):
    """One accepted transition, handed to the owning app's record hook after the compare-and-set."""

    context: C  # the owning app's context: its row (already carrying the changes and the new version), its reads
    transition: Transition
    from_state: str
    to_state: str
    values: Mapping[str, Any]
    changes: Mapping[str, Any]
    before: Any  # the owning app's snapshot of the record before the change (for the audit record)
    note: str


@dataclass(frozen=True)
class Binding(Generic[C]):
    """How a machine sits on an app's versioned model. `load(actor, row)` makes the context every hook receives:
    it carries `actor`, `row` and `values` (set by the apply) and reads what the hooks need, each once, so a
    transition reads its related records one time (query economy). `facts(ctx)` are what guards judge,
    `parties(ctx)` which sides the actor is on, `snapshot(ctx)` the audit view, `record(step)` writes the
    timeline event, the audit record and the notices and returns what the service returns."""

    machine: Machine
    load: Callable[[Actor, Any], C]
    facts: Callable[[C], Any]
    parties: Callable[[C], frozenset[str]]
    snapshot: Callable[[C], Any]
    record: Callable[[Step[C]], Any]
    state_field: str = "state"


def apply(binding: Binding[C], *, actor: Actor, row: Any, version: int, name: str, raw: Mapping[str, Any]) -> Any:
    """Judge and apply transition `name` on `row` (already read by the caller, so nothing is read twice) with
    the caller's raw input. Raises Conflict, PermissionDenied, RuleViolation, NotFound.

    Everything that may refuse reads only, so it runs before the transaction opens; the writes then run in one
    transaction without a savepoint of their own (a lost compare-and-set writes nothing and is raised after the
    block), which keeps a transition to a handful of queries."""
    machine = binding.machine
    if row.version != version:
        state = getattr(row, binding.state_field)
        raise Conflict(
            f"{machine.noun} {row.pk} was changed by someone else (you read version {version}, it is now "
            f"{row.version}: {state}); reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version, "state": state},
        )
    ctx = binding.load(actor, row)
    values, to_state = judge(machine, name, binding.facts(ctx), binding.parties(ctx), raw)
    ctx.values = values
    t = machine.transition(name)
    changes = dict(t.effect(ctx) if t.effect else {})
    note = str(values.get(t.note, "") or "")
    return _write(binding, ctx, version, t, to_state, changes, values, note)


def write(
    binding: Binding[C],
    *,
    actor: Actor,
    row: Any,
    transition: Transition,
    to_state: str,
    changes: Mapping[str, Any],
    note: str = "",
) -> Any:
    """The writing half of `apply` for the owning app's own moves that are not a party's (a workflow re-routing
    or closing a request, the sweep ending a warranty): compare-and-set on the row's version, then the record
    hook, in one transaction."""
    return _write(binding, binding.load(actor, row), row.version, transition, to_state, changes, {}, note)


def _write(binding, ctx, version, transition, to_state, changes, values, note):
    before = binding.snapshot(ctx)
    from_state = getattr(ctx.row, binding.state_field)
    with transaction.atomic(savepoint=False):
        won = compare_and_set(ctx.row, expected_version=version, changes={**changes, binding.state_field: to_state})
        if won:
            result = binding.record(Step(ctx, transition, from_state, to_state, values, changes, before, note))
    if not won:
        raise conflict(ctx.row, version, state_field=binding.state_field)
    return result
