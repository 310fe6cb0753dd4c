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

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .actor import Actor
from .errors import Conflict, NotFound
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
        raise _lost(ctx.row, version, binding.state_field)
    return result


def compare_and_set(row: models.Model, *, expected_version: int, changes: Mapping[str, Any]) -> bool:
    """Write `changes` only if the row still has `expected_version`, bumping it in the same statement, and
    update the loaded row in memory instead of reading it again (one query). False when someone wrote first."""
    model = type(row)
    values = dict(changes)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    if model.objects.filter(pk=row.pk, version=expected_version).update(version=F("version") + 1, **values) == 0:
        return False
    for key, value in values.items():
        setattr(row, key, value)
    row.version = expected_version + 1
    return True


def _lost(row: models.Model, version: int, state_field: str) -> Exception:
    model = type(row)
    current = model.objects.filter(pk=row.pk).values_list("version", state_field).first()
    if current is None:
        return NotFound(f"{model._meta.verbose_name} {row.pk} no longer exists")
    return Conflict(
        f"{model._meta.verbose_name} {row.pk} was changed by someone else "
        f"(you read version {version}, it is now {current[0]}: {current[1]}); reload and try again",
        field="version",
        details={"field": "version", "expected": version, "current": current[0], "state": current[1]},
    )
