"""Page forms generated from a declared machine (kernel/machines.py): one Django form per transition, its fields
made from the transition's inputs, plus the version the viewer read. A transition with verdict buttons (a review:
approve or request changes) gets a `verdict` field the buttons fill in.

The form only parses; the rules (required ticks, a note when changes are requested, who may) are the machine's,
judged by the service when the form is posted, so the page says exactly what the API and the CLI say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from .machines import Input, Kind, Machine, Transition

VERDICT = "verdict"
EMPTY_CHOICE = ("", "—")


def form_class(machine: Machine, transition: Transition) -> type[forms.Form]:
    """The form of one transition (cached on nothing: building one is cheap and keeps this module stateless)."""
    attrs: dict[str, Any] = {"version": forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)}
    set_by_buttons = {k for _, _, values in transition.buttons for k in values}
    for spec in transition.inputs:
        if spec.name not in set_by_buttons:
            attrs[spec.name] = _field(spec)
    if transition.buttons:
        attrs[VERDICT] = forms.ChoiceField(choices=[(v, label) for v, label, _ in transition.buttons])
    attrs["__doc__"] = transition.help or transition.title
    name = "".join(p.capitalize() for p in f"{machine.name}_{transition.name}".split("_")) + "Form"
    return type(name, (forms.Form,), attrs)


def action_form(
    machine: Machine,
    name: str,
    data: Any = None,
    *,
    version: int,
    choices: Mapping[str, Sequence[tuple[Any, str]]] | None = None,
    initial: Mapping[str, Any] | None = None,
) -> forms.Form:
    """The bound (or, without `data`, unbound) form of transition `name`, prefixed by its name so several share a
    page; `choices` fills the selects of reference inputs (a person, a service) with what makes sense here."""
    t = machine.transition(name)
    form = form_class(machine, t)(data, prefix=name, initial={"version": version, **(initial or {})})
    for field_name, options in (choices or {}).items():
        if field_name in form.fields:
            form.fields[field_name].widget.choices = [EMPTY_CHOICE, *options]
    return form


def form_values(transition: Transition, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """The transition's input from a valid form: its fields, and what the pressed verdict button sets."""
    values = {spec.name: cleaned[spec.name] for spec in transition.inputs if spec.name in cleaned}
    pressed = cleaned.get(VERDICT)
    for value, _, sets in transition.buttons:
        if value == pressed:
            values.update(sets)
    return values


def buttons(transition: Transition) -> tuple[tuple[str, str], ...]:
    """The submit buttons of a transition's form: (value, label); a single button has no value."""
    if transition.buttons:
        return tuple((value, label) for value, label, _ in transition.buttons)
    return (("", transition.button or transition.title or transition.name.replace("_", " ")),)


def ref_fields(transition: Transition) -> tuple[Input, ...]:
    """The reference inputs of a transition (their selects need choices from the owning app)."""
    return tuple(spec for spec in transition.inputs if spec.kind is Kind.REF)


def _field(spec: Input) -> forms.Field:
    label = spec.label or spec.name.replace("_", " ").capitalize()
    common: dict[str, Any] = {"label": label[:1].upper() + label[1:], "help_text": spec.help}
    if spec.kind is Kind.TEXT:
        widget = forms.Textarea(attrs={"rows": 3}) if spec.multiline else None
        return forms.CharField(required=spec.required, max_length=spec.max_length, widget=widget, **common)
    if spec.kind in (Kind.BOOL, Kind.TICK):
        # Not required here: the machine names every unticked box of a checklist at once (400 naming the group).
        return forms.BooleanField(required=False, **common)
    if spec.kind is Kind.CHOICE:
        return forms.ChoiceField(choices=list(spec.choices), required=spec.required, **common)
    if spec.kind is Kind.REF:
        # A select of what makes sense, parsed as a plain id: a posted id outside the choices is judged by the
        # service, which says why ("the point of contact must be a member of the home team"), not "invalid choice".
        return forms.IntegerField(
            required=spec.required,
            min_value=1,
            max_value=2**63 - 1,
            widget=forms.Select(choices=[EMPTY_CHOICE]),
            **common,
        )
    bounds = {"min_value": spec.ge, "max_value": spec.le}
    if spec.kind is Kind.INT:
        return forms.IntegerField(required=spec.required, **bounds, **common)
    return forms.FloatField(required=spec.required, **bounds, **common)
