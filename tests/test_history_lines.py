"""History in plain words (audit_services.history_lines): each owning app registers how its records read (verb
words, field labels, references), and a history line names people, teams and units rather than printing ids."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org
from mechanisms.org.contracts import TeamChanges

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _lines(subject_type: str, subject_id: int):
    changes = audit_services.list_changes(actor=SYSTEM, subject_type=subject_type, subject_id=subject_id, limit=50)
    return audit_services.history_lines(records=sorted(changes.items, key=lambda c: c.id))


def test_a_team_change_names_the_people_and_units_it_references_and_says_long_text_was_rewritten(small_org):
    o = small_org
    team = o.teams["checkout"]
    changes = TeamChanges(leader_id=o.people["bob"].id, charter="x" * 200)
    team = org.update_team(actor=SYSTEM, team_id=team.id, version=team.version, changes=changes)
    org.add_member(actor=SYSTEM, team_id=team.id, person_id=o.people["hal"].id)
    *_, changed, added = _lines("team", team.id)
    assert changed.what == "changed"
    assert "leader: Ann Lee → " + o.people["bob"].name in changed.details
    assert "charter rewritten" in changed.details
    assert not any("version" in d or "member count" in d for d in changed.details)  # bookkeeping stays out
    assert (added.what, added.details) == ("added a member", (o.people["hal"].name,))


def test_a_service_transfer_reads_as_a_transfer_between_named_teams(small_org):
    from mechanisms.workflows import lifecycle

    o = small_org
    service = o.services["checkout-api"]
    lifecycle.transfer_service(
        actor=SYSTEM,
        service_id=service.id,
        version=catalog.get_service(actor=Actor.system("test"), service_id=service.id).version,
        to_team_id=o.teams["payments"].id,
        reason="reorg",
    )
    last = _lines("service", service.id)[-1]
    assert last.what == "transferred ownership"
    assert "owner team: Checkout → Payments" in last.details
    assert last.reason == "reorg"
