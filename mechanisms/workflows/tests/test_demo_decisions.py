"""The demo's decision log: one-way and two-way doors, participants who agree, disagree and commit (with the new
information) and one who still disagrees, two reviewed outcomes (right, wrong), a revisit due this week, a
high-impact architecture decision waiting for its bar-raiser review, a MADR import; loading twice changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from mechanisms.decisions import services as decisions_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.workflows import madr_io
from mechanisms.workflows.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_decision_log(db):
    load_demo()
    system = Actor.system("test")
    decisions = decisions_services.list_decisions(actor=system, limit=50).items
    assert 6 <= len(decisions) <= 8
    assert {d.door.value for d in decisions} == {"one_way", "two_way"}
    stances = Counter(p.stance.value for d in decisions for p in d.participants if p.stance)
    assert set(stances) == {"agree", "disagree_and_commit", "still_disagree"}
    assert all(p.new_information for d in decisions for p in d.participants if p.stance and p.stance.value != "agree")
    assert sorted(d.outcome.value for d in decisions if d.outcome) == ["right", "wrong"]
    today = clock.today()
    assert any(d.revisit_on and today <= d.revisit_on <= today + dt.timedelta(days=7) for d in decisions)
    (big,) = [d for d in decisions if d.high_impact]
    assert big.category.value == "architecture" and big.status.value == "proposed"
    assert decisions_services.decision_view(actor=system, decision_id=big.id).review_state == "requested"
    imported = next(d for d in decisions if d.question.startswith("Stream catalog changes"))
    _, text = madr_io.export_madr(actor=system, decision_id=imported.id)
    assert "## Decision Drivers" in text
    assert decisions_services.track_record(actor=system)
    load_demo()
    assert decisions_services.list_decisions(actor=system).total == len(decisions)
