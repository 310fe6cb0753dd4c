"""The choices a dissolution plan may make (MECHANISMS.md §1), as the lifecycle offers them to the page: every one
of them is a plan `check_plan` accepts."""

from __future__ import annotations

import pytest

from mechanisms.away_teams import services as away
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.workflows import lifecycle

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _file(o, *, by: str, team: str, service: str):
    return away.file_request(
        actor=o.actor(by),
        service_id=o.services[service].id,
        requesting_team_id=o.teams[team].id,
        title="A change",
        what="What we need.",
        why="Why customers care.",
    )


def test_services_go_to_a_live_team_or_retire_and_requests_follow_their_service_or_are_carried_on(small_org):
    o = small_org
    inbound = _file(o, by="bob", team="checkout", service="payments-api")  # payments is home
    outbound = _file(o, by="eve", team="payments", service="identity-api")  # payments is requesting
    choices = lifecycle.dissolution_choices(actor=o.actor("admin"), team_id=o.teams["payments"].id)
    others = {o.teams["checkout"].id, o.teams["identity"].id}
    assert {t.id for t in choices.live_teams} == others
    (service,) = choices.services
    assert service.service.name == "payments-api"
    assert set(service.options) == {"retire", *others} and service.default is None
    by_id = {c.request.id: c for c in choices.requests}
    assert by_id[inbound.id].inbound and by_id[inbound.id].default == "follow"
    assert set(by_id[inbound.id].options) == {"follow", "close"}
    # An outbound request is carried on by any live team but the one it asks (identity), or closed.
    assert not by_id[outbound.id].inbound
    assert set(by_id[outbound.id].options) == {"close", o.teams["checkout"].id}
    # Taking the first offered choice everywhere is a complete plan.
    plan = lifecycle.DissolutionPlan(
        services={c.service.id: c.options[-1] for c in choices.services},
        requests={c.request.id: c.options[0] for c in choices.requests},
    )
    assert lifecycle.check_plan(team_id=o.teams["payments"].id, plan=plan).empty


def test_only_an_admin_is_offered_the_choices(small_org):
    with pytest.raises(PermissionDenied):
        lifecycle.dissolution_choices(actor=small_org.actor("dan"), team_id=small_org.teams["payments"].id)
