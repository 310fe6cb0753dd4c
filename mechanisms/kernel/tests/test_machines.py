"""The declared state-machine facility (kernel/machines.py and the generated API schemas), on a toy machine and
without a database: the checks and their order, input validation, declarations checked at import, generated schemas
that refuse unknown and unbounded fields. The away-team declaration is tested in away_teams/tests/test_machine.py."""

from __future__ import annotations

import pydantic
import pytest

from mechanisms.kernel import machine_api
from mechanisms.kernel import machines as m
from mechanisms.kernel.errors import PermissionDenied, RuleViolation


class Facts:
    def __init__(self, state: str, late: bool = False):
        self.state, self.late = state, late


def _not_late(facts) -> m.Refusal | None:
    return m.Refusal("too late to approve") if facts.late else None


def _concerns_need_words(facts, values) -> m.Refusal | None:
    if values["verdict"] == "concerns" and not values["note"]:
        return m.Refusal("say what concerns you", field="note")
    return None


# A toy bar-raiser review: the shape of the machines still to come (MECHANISMS.md §4).
REVIEW = m.Machine(
    name="bar_raiser_review",
    noun="review",
    states=(m.State("open"), m.State("approved"), m.State("declined"), m.State("withdrawn")),
    initial="open",
    final=frozenset({"approved", "declined", "withdrawn"}),
    parties={"reviewer": "the bar raiser", "author": "the author"},
    transitions=(
        m.Transition(
            "decide",
            sources=frozenset({"open"}),
            target=lambda v: "declined" if v["verdict"] == "do_not_proceed" else "approved",
            by=frozenset({"reviewer"}),
            inputs=(
                m.choice("verdict", (("approve", "Approve"), ("concerns", "With concerns"), ("do_not_proceed", "No"))),
                m.text("note", max_length=50),
                m.integer("score", ge=1, le=5),
                m.tick("read_doc", "the document read"),
                m.tick("met_author", "the author met"),
            ),
            guard=_not_late,
            rule=_concerns_need_words,
        ),
        m.Transition("withdraw", sources=frozenset({"open"}), target="withdrawn", by=frozenset({"author"})),
    ),
)
GOOD = {"verdict": "approve", "note": "", "score": 4, "read_doc": True, "met_author": True}


def test_a_transition_is_judged_state_first_then_guard_then_party_then_input_then_rule():
    reviewer, author = frozenset({"reviewer"}), frozenset({"author"})
    with pytest.raises(RuleViolation) as wrong_state:
        m.judge(REVIEW, "decide", Facts("approved"), author, {"nonsense": 1})
    assert wrong_state.value.field == "state" and "only from: open" in wrong_state.value.message
    with pytest.raises(RuleViolation, match="too late"):
        m.judge(REVIEW, "decide", Facts("open", late=True), author, GOOD)
    with pytest.raises(PermissionDenied) as party:
        m.judge(REVIEW, "decide", Facts("open"), author, GOOD)
    assert party.value.field == "actor" and "only the bar raiser may decide this review" in party.value.message
    with pytest.raises(RuleViolation) as bad_input:
        m.judge(REVIEW, "decide", Facts("open"), reviewer, {**GOOD, "score": 9})
    assert bad_input.value.field == "score"
    with pytest.raises(RuleViolation) as rule:
        m.judge(REVIEW, "decide", Facts("open"), reviewer, {**GOOD, "verdict": "concerns"})
    assert rule.value.field == "note"
    assert m.judge(REVIEW, "decide", Facts("open"), reviewer, GOOD)[1] == "approved"
    assert m.judge(REVIEW, "decide", Facts("open"), reviewer, {**GOOD, "verdict": "do_not_proceed"})[1] == "declined"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({**GOOD, "extra": 1}, "extra"),
        ({**GOOD, "note": "x" * 51}, "note"),
        ({**GOOD, "note": "a\x00b"}, "note"),
        ({**GOOD, "score": True}, "score"),
        ({**GOOD, "score": 2.5}, "score"),
        ({**GOOD, "verdict": "maybe"}, "verdict"),
        ({**GOOD, "read_doc": "yes"}, "read_doc"),
        ({**GOOD, "read_doc": False, "met_author": False}, "checklist"),
    ],
)
def test_input_is_typed_and_bounded_and_names_the_field(raw, field):
    with pytest.raises(RuleViolation) as refused:
        m.clean_input(REVIEW.transition("decide"), raw)
    assert refused.value.field == field


def test_every_unticked_box_of_a_checklist_is_named_at_once():
    with pytest.raises(RuleViolation) as refused:
        m.clean_input(REVIEW.transition("decide"), {**GOOD, "read_doc": False, "met_author": False})
    assert refused.value.details["missing"] == ["the document read", "the author met"]


def test_a_declaration_that_names_an_unknown_state_or_leaves_a_final_one_is_refused_at_import():
    with pytest.raises(ValueError, match="unknown target nowhere"):
        m.Machine(
            "x", "x", (m.State("a"),), "a", frozenset(), (m.Transition("go", frozenset({"a"}), "nowhere", frozenset()),)
        )
    with pytest.raises(ValueError, match="leaves the final state b"):
        m.Machine(
            "x",
            "x",
            (m.State("a"), m.State("b")),
            "a",
            frozenset({"b"}),
            (m.Transition("back", frozenset({"b"}), "a", frozenset()),),
        )


def test_the_generated_body_schema_forbids_unknown_fields_and_bounds_every_field():
    body = machine_api.body_schema(REVIEW, REVIEW.transition("decide"), prefix="Test")
    ok = body(version=1, **GOOD)
    assert ok.verdict == "approve"
    for bad in (
        {"version": 1, **GOOD, "owner": 3},
        {"version": 0, **GOOD},
        {"version": 2**31, **GOOD},
        {"version": 1, **GOOD, "note": "x" * 51},
        {"version": 1, **GOOD, "score": 6},
        {"version": 1, **GOOD, "verdict": "maybe"},
        {"version": 1, **GOOD, "note": "\x00"},
    ):
        with pytest.raises(pydantic.ValidationError):
            body(**bad)
    schema = body.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["note"]["maxLength"] == 50
    assert (schema["properties"]["version"]["minimum"], schema["properties"]["version"]["maximum"]) == (1, 2**31 - 1)


def test_available_lists_what_check_lets_through_in_declaration_order():
    assert m.available(REVIEW, Facts("open"), frozenset({"reviewer", "author"})) == ("decide", "withdraw")
    assert m.available(REVIEW, Facts("open", late=True), frozenset({"reviewer", "author"})) == ("withdraw",)
    assert m.available(REVIEW, Facts("approved"), frozenset({"reviewer", "author"})) == ()
