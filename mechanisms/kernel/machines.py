"""Declared state machines: one declaration per mechanism gives the service apply, the API endpoints, the CLI
commands, the page forms and the "what you can do now" list (DESIGN.md §2-§5; docs/machines.md).

This module is the pure part: the declaration types, the input validation, `check` (may this person take this
transition now?) and `available` (which transitions may they take?). No Django, no ORM: a guard judges plain facts
the owning app computed from its record. The transactional apply is in `machine_apply.py`, the generated entry
points in `machine_api.py`, `machine_cli.py` and `machine_forms.py`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import PermissionDenied, RuleViolation

MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a transition is refused: the rule broken, in words a person can act on, and the field concerned."""

    message: str
    field: str = "state"
    forbidden: bool = False  # the wrong person (403) rather than the wrong moment or input (400)


class Kind(enum.StrEnum):
    TEXT = "text"
    BOOL = "bool"
    TICK = "tick"  # a checklist box that must be ticked
    INT = "int"
    FLOAT = "float"
    CHOICE = "choice"
    REF = "ref"  # the id of another record (a person, a service): resolved by the owning app


@dataclass(frozen=True, slots=True)
class Input:
    """One typed field of a transition's input: the API body field, the CLI option and the form field at once."""

    name: str
    kind: Kind
    label: str = ""
    help: str = ""
    required: bool = False
    max_length: int = 5000
    ge: float | None = None
    le: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, words)
    ref: str = ""  # what a REF names ("person", "service"): the CLI and the page resolve it by handle or name
    group: str = ""  # the TICK boxes of one checklist are refused together, naming the group
    cli: tuple[str, ...] = ()  # option names when the derived `--name` does not read well
    multiline: bool = False

    @property
    def words(self) -> str:
        return self.label or self.name.replace("_", " ")


def text(name: str, *, max_length: int = 5000, required: bool = False, **kw: Any) -> Input:
    return Input(name, Kind.TEXT, max_length=max_length, required=required, **kw)


def boolean(name: str, *, required: bool = False, **kw: Any) -> Input:
    return Input(name, Kind.BOOL, required=required, **kw)


def tick(name: str, label: str, *, group: str = "checklist", **kw: Any) -> Input:
    return Input(name, Kind.TICK, label=label, group=group, **kw)


def integer(name: str, *, ge: int = 0, le: int = 2**31 - 1, required: bool = False, **kw: Any) -> Input:
    return Input(name, Kind.INT, ge=ge, le=le, required=required, **kw)


def number(name: str, *, ge: float = 0, le: float = 1e9, required: bool = False, **kw: Any) -> Input:
    return Input(name, Kind.FLOAT, ge=ge, le=le, required=required, **kw)


def choice(name: str, choices: Sequence[tuple[str, str]], *, required: bool = True, **kw: Any) -> Input:
    return Input(name, Kind.CHOICE, choices=tuple(choices), required=required, **kw)


def ref(name: str, of: str, *, required: bool = True, **kw: Any) -> Input:
    return Input(name, Kind.REF, ref=of, ge=1, le=MAX_ID, required=required, **kw)


# A guard over the record's facts only (it decides what a page offers); an input rule also sees the input.
Guard = Callable[[Any], "Refusal | None"]
InputRule = Callable[[Any, Mapping[str, Any]], "Refusal | None"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One move of a machine. `target` is a state, or a function of the validated input choosing one (a review
    approves or sends back). `by` names the parties that may take it; the owning app says which parties an
    actor is on a record. `effect` (run by the apply, inside the transaction) returns the field changes."""

    name: str
    sources: frozenset[str]
    target: str | Callable[[Mapping[str, Any]], str]
    by: frozenset[str]
    words: str = ""  # the verb phrase in refusals: "cannot <words> a request that is ..."
    title: str = ""  # the heading of its form on a page
    button: str = ""
    help: str = ""
    inputs: tuple[Input, ...] = ()
    guard: Guard | None = None
    rule: InputRule | None = None
    effect: Callable[..., dict[str, Any]] | None = None
    note: str = "note"  # the input kept on the timeline
    done: str | Mapping[str, str] = ""  # the timeline's words, or by target state
    notice: str | Mapping[str, str] = ""  # the notification's headline template, or by target state
    buttons: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()  # (value, label, input it sets): verdict buttons
    secondary: bool = False  # a way out rather than the next step: pages fold it away

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    @property
    def verb(self) -> str:
        return self.words or self.name.replace("_", " ")

    def to_state(self, values: Mapping[str, Any]) -> str:
        return self.target(values) if callable(self.target) else self.target

    def targets(self) -> frozenset[str]:
        """Every state this transition can lead to (for the docs and the consistency check)."""
        if not callable(self.target):
            return frozenset({self.target})
        return frozenset(self.target(v) for v in _input_samples(self))

    def words_for(self, template: str | Mapping[str, str], to_state: str) -> str:
        return template if isinstance(template, str) else template.get(to_state, "")


@dataclass(frozen=True, slots=True)
class State:
    name: str
    words: str = ""

    @property
    def label(self) -> str:
        return self.words or self.name.replace("_", " ")


@dataclass(frozen=True)
class Machine:
    """A declared state machine: its states (initial, final), its transitions, and the words of its parties."""

    name: str
    noun: str  # "request": in refusals ("cannot accept a request that is ...")
    states: tuple[State, ...]
    initial: str
    final: frozenset[str]
    transitions: tuple[Transition, ...]
    parties: Mapping[str, str] = field(default_factory=dict)  # party -> words ("a member of the home team")
    by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = {s.name for s in self.states}
        by_name = {t.name: t for t in self.transitions}
        problems = [f"unknown initial state {self.initial}"] if self.initial not in names else []
        problems += [f"unknown final state {s}" for s in self.final - names]
        for t in self.transitions:
            problems += [f"{t.name}: unknown source {s}" for s in t.sources - names]
            problems += [f"{t.name}: unknown target {s}" for s in t.targets() - names]
            problems += [f"{t.name}: leaves the final state {s}" for s in t.sources & self.final]
            problems += [f"{t.name}: unknown party {p}" for p in t.by - set(self.parties)]
        if len(by_name) != len(self.transitions):
            problems.append("two transitions share a name")
        if problems:
            raise ValueError(f"machine {self.name}: " + "; ".join(problems))
        object.__setattr__(self, "by_name", by_name)

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states) - self.final

    def transition(self, name: str) -> Transition:
        try:
            return self.by_name[name]
        except KeyError:
            raise RuleViolation(f"there is no transition {name!r} on a {self.noun}", field="transition") from None

    def state_words(self, name: str) -> str:
        return next((s.label for s in self.states if s.name == name), name.replace("_", " "))


def check(machine: Machine, name: str, facts: Any, parties: frozenset[str]) -> Refusal | None:
    """None when the transition `name` may be taken now (judged before any input) by someone who is `parties`;
    else the rule it breaks. The state and the facts' guard come first: a transition that makes no sense now is
    refused the same way for everyone; then the party (403)."""
    t = machine.transition(name)
    state = facts.state.value if isinstance(facts.state, enum.Enum) else facts.state
    if state not in t.sources:
        allowed = ", ".join(sorted(t.sources))
        return Refusal(f"cannot {t.verb} a {machine.noun} that is {state}; only from: {allowed}")
    if t.guard is not None and (refusal := t.guard(facts)) is not None:
        return refusal
    if not t.by & parties:
        who = " or ".join(machine.parties[p] for p in sorted(t.by))
        return Refusal(f"only {who} may {t.verb} this {machine.noun}", field="actor", forbidden=True)
    return None


def available(machine: Machine, facts: Any, parties: frozenset[str]) -> tuple[str, ...]:
    """The transitions this person may take now, in declaration order: exactly those `check` lets through, so a
    page never offers a move the apply refuses before reading its input."""
    return tuple(t.name for t in machine.transitions if check(machine, t.name, facts, parties) is None)


def clean_input(transition: Transition, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The transition's input, typed and bounded, or RuleViolation naming the field. Unknown fields are refused
    (a misspelt field must not look accepted); a missing optional field takes its empty value."""
    declared = {i.name: i for i in transition.inputs}
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise RuleViolation(f"{transition.name} takes no field {unknown[0]!r}", field=unknown[0])
    values: dict[str, Any] = {}
    unticked: dict[str, list[str]] = {}
    for spec in transition.inputs:
        value = _clean(spec, raw.get(spec.name))
        if spec.kind is Kind.TICK and not value:
            unticked.setdefault(spec.group, []).append(spec.words)
        values[spec.name] = value
    for group, missing in unticked.items():
        raise RuleViolation(
            f"the {transition.slug} {group.replace('_', ' ')} is incomplete: " + "; ".join(missing),
            field=group,
            details={"field": group, "missing": missing},
        )
    return values


def judge(
    machine: Machine, name: str, facts: Any, parties: frozenset[str], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], str]:
    """Everything pure about one attempt, in order: state and guard, party, input, the input rule. Returns the
    validated input and the target state, or raises PermissionDenied / RuleViolation naming the rule."""
    refusal = check(machine, name, facts, parties)
    if refusal is None:
        t = machine.transition(name)
        values = clean_input(t, raw)
        refusal = t.rule(facts, values) if t.rule is not None else None
        if refusal is None:
            return values, t.to_state(values)
    state = facts.state.value if isinstance(facts.state, enum.Enum) else facts.state
    error = PermissionDenied if refusal.forbidden else RuleViolation
    raise error(refusal.message, field=refusal.field, details={"field": refusal.field, "rule": name, "state": state})


def _clean(spec: Input, value: Any) -> Any:
    name = spec.name
    if spec.kind in (Kind.BOOL, Kind.TICK):
        if value is None:
            if spec.required:
                raise RuleViolation(f"{name} is required (true or false)", field=name)
            return False
        if not isinstance(value, bool):
            raise RuleViolation(f"{name} must be true or false", field=name)
        return value
    if spec.kind is Kind.TEXT:
        text_value = "" if value is None else value
        if not isinstance(text_value, str) or "\x00" in text_value:
            raise RuleViolation(f"{name} must be text without NUL characters", field=name)
        text_value = text_value.strip()
        if spec.required and not text_value:
            raise RuleViolation(f"{name} is required", field=name)
        if len(text_value) > spec.max_length:
            raise RuleViolation(f"{name} is longer than {spec.max_length} characters", field=name)
        return text_value
    if value is None or value == "":
        if spec.required:
            raise RuleViolation(f"{name} is required", field=name)
        return None
    if spec.kind is Kind.CHOICE:
        allowed = [c for c, _ in spec.choices]
        if value not in allowed:
            raise RuleViolation(f"{name} must be one of {', '.join(allowed)}", field=name)
        return value
    if spec.kind in (Kind.INT, Kind.REF):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleViolation(f"{name} must be a whole number", field=name)
    elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleViolation(f"{name} must be a number", field=name)
    if (spec.ge is not None and value < spec.ge) or (spec.le is not None and value > spec.le):
        raise RuleViolation(f"{name} must be between {_num(spec.ge)} and {_num(spec.le)}", field=name)
    return float(value) if spec.kind is Kind.FLOAT else value


def _num(bound: float | None) -> str:
    return "any" if bound is None else (str(int(bound)) if float(bound).is_integer() else str(bound))


def _input_samples(t: Transition) -> list[dict[str, Any]]:
    """Inputs covering every choice and boolean of a transition (to list the states a chosen target can reach)."""
    samples: list[dict[str, Any]] = [{}]
    for spec in t.inputs:
        options: list[Any]
        if spec.kind is Kind.CHOICE:
            options = [c for c, _ in spec.choices]
        elif spec.kind is Kind.BOOL:
            options = [True, False]
        else:
            continue
        samples = [{**s, spec.name: o} for s in samples for o in options]
    return samples
