"""The opening machine's declaration (pure; no database): a draft opens only with a written job description and a
principle, each refusal naming its field; only the stewards move it; filled is no party's move."""

from __future__ import annotations

import pytest

from mechanisms.hiring.contracts import OpeningState
from mechanisms.hiring.machines import FILL, JOB_DESCRIPTION_MIN, OPENING, OpeningFacts
from mechanisms.kernel import machines as m
from mechanisms.kernel.errors import PermissionDenied, RuleViolation

HM = frozenset({"hiring_manager"})


def facts(state=OpeningState.DRAFT, jd=JOB_DESCRIPTION_MIN, principles=1):
    return OpeningFacts(state=state, job_description_length=jd, principle_count=principles)


def test_a_draft_opens_with_a_written_job_description_and_a_principle():
    assert m.available(OPENING, facts(), HM) == ("open", "close")
    short = m.check(OPENING, "open", facts(jd=JOB_DESCRIPTION_MIN - 1), HM)
    assert short.field == "job_description" and str(JOB_DESCRIPTION_MIN) in short.message
    assert m.check(OPENING, "open", facts(principles=0), HM).field == "principles"


def test_only_the_stewards_move_an_opening():
    with pytest.raises(PermissionDenied):
        m.judge(OPENING, "open", facts(), frozenset(), {})
    for party in ("hiring_manager", "recruiter", "admin"):
        assert m.judge(OPENING, "open", facts(), frozenset({party}), {})[1] == "open"


def test_closing_needs_a_reason_and_filled_is_final():
    with pytest.raises(RuleViolation) as refused:
        m.judge(OPENING, "close", facts(state=OpeningState.OPEN), HM, {"reason": ""})
    assert refused.value.field == "reason"
    assert OpeningState.FILLED.value in OPENING.final and FILL.by == frozenset()
    assert m.available(OPENING, facts(state=OpeningState.FILLED), HM) == ()
