"""Waivers expire (MECHANISMS.md §2 M6): the worker's hourly job re-evaluates the teams whose stored findings an
expired waiver still waives, so the breach shows again without waiting for an unrelated change."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from mechanisms.catalog import services as catalog
from mechanisms.kernel import schedule
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.mandate import services as mandate

from .waivers import approved_waiver

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def back_door_waived(o) -> bool:
    [finding] = [f for f in mandate.list_findings(actor=SYSTEM, limit=200).items if f.rule == "mandate/back-door"]
    return finding.waived


def test_an_expired_waiver_stops_counting_at_the_next_hourly_run(small_org):
    o = small_org
    catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["identity-api"].id,
        kind="accesses",
        datastore_id=o.datastores["orders-db"].id,
    )
    approved_waiver(
        o,
        requester="gus",
        subject="component:default/identity-api",
        rule="mandate/back-door",
        reason="Migration until March",
        expires=dt.date.today() + dt.timedelta(days=10),
    )
    mandate.evaluate_org(actor=SYSTEM)
    assert back_door_waived(o)
    assert mandate.reevaluate_expired_waivers(actor=SYSTEM) == 0  # still in force
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=11)):
        assert mandate.reevaluate_expired_waivers(actor=SYSTEM) == 1
        assert not back_door_waived(o)
        assert mandate.reevaluate_expired_waivers(actor=SYSTEM) == 0  # nothing left to do
    assert "mandate.waiver_expiry" in {j.name for j in schedule.jobs()}
    with pytest.raises(PermissionDenied):
        mandate.reevaluate_expired_waivers(actor=o.actor("bob"))
