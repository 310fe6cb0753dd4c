"""The away-team declaration on the engine, without a database: what a page offers is exactly what the judging
accepts, for every state, fact and party; every generated body field is bounded; the generated forms."""

from __future__ import annotations

import itertools

import pytest

from mechanisms.away_teams.contracts import RequestState
from mechanisms.away_teams.machines import MACHINE as AWAY
from mechanisms.away_teams.rules import RequestFacts
from mechanisms.kernel import machine_api, machine_forms
from mechanisms.kernel import machines as m
from mechanisms.kernel.errors import PermissionDenied, RuleViolation


def _valid_input(t: m.Transition) -> dict:
    values = {}
    for spec in t.inputs:
        values[spec.name] = {
            m.Kind.TEXT: "Because.",
            m.Kind.BOOL: True,
            m.Kind.TICK: True,
            m.Kind.INT: 1,
            m.Kind.FLOAT: 1.0,
            m.Kind.REF: 1,
        }.get(spec.kind) or (spec.choices[0][0] if spec.choices else None)
    return values


PARTY_SETS = [frozenset(c) for n in range(3) for c in itertools.combinations(["requesting", "home", "decider"], n)]
FACTS = [
    RequestFacts(RequestState(s), escalated_before=e, overdue=o, warranty_over=w)
    for s in RequestState
    for e, o, w in itertools.product([False, True], repeat=3)
]


@pytest.mark.parametrize("parties", PARTY_SETS, ids=lambda p: "+".join(sorted(p)) or "nobody")
def test_what_is_offered_is_exactly_what_the_judging_accepts_with_a_valid_input(parties):
    for facts in FACTS:
        offered = set(m.available(AWAY, facts, parties))
        for t in AWAY.transitions:
            try:
                m.judge(AWAY, t.name, facts, parties, _valid_input(t))
                accepted = True
            except (PermissionDenied, RuleViolation):
                accepted = False
            assert accepted == (t.name in offered), (t.name, facts, parties)


def test_every_away_body_field_is_bounded():
    for t in AWAY.transitions:
        props = machine_api.body_schema(AWAY, t).model_json_schema()["properties"]
        for name, prop in props.items():
            options = prop.get("anyOf", [prop])
            for option in options:
                if option.get("type") == "string":
                    assert "maxLength" in option or "enum" in option or "const" in option, (t.name, name)
                if option.get("type") in ("integer", "number"):
                    assert "minimum" in option and "maximum" in option, (t.name, name)


def test_the_generated_form_has_a_field_per_input_and_a_verdict_for_buttons():
    review = AWAY.transition("review")
    form = machine_forms.form_class(AWAY, review)({"version": 3, "verdict": "changes", "note": "Tests, please"})
    assert form.is_valid(), form.errors
    assert "approved" not in form.fields  # the buttons set it
    assert machine_forms.form_values(review, form.cleaned_data) == {"approved": False, "note": "Tests, please"}
    hand_off = machine_forms.form_class(AWAY, AWAY.transition("hand_off"))
    assert {"version", "tests", "docs", "runbook", "downstream_impact", "note"} == set(hand_off.base_fields)
