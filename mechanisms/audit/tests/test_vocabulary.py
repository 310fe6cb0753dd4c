"""The closed vocabulary: every kind of record and verb the product writes is registered by its owning app, and
the log refuses anything else (a programming error, caught by tests)."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.kernel.actor import Actor

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def test_every_subject_type_the_product_writes_is_registered_by_its_owner():
    owners = {name: t.owner for name, t in audit_services.subject_types().items() if not t.owner.startswith("audit.")}
    assert owners == {
        "person": "org",
        "org_unit": "org",
        "team": "org",
        "account": "org",
        "role_grant": "org",
        "service": "catalog",
        "interface": "catalog",
        "datastore": "catalog",
        "dependency": "catalog",
        "bar_raiser": "bar_raisers",
        "bar_raiser_assignment": "bar_raisers",
        "notification_preferences": "notifications",
        "notification_outbox": "notifications",
        "away_team_request": "away_teams",
        "mandate_evaluation": "mandate",
        "waiver": "mandate",
        "bar_raiser_review": "bar_raisers",
        "hiring_principle": "hiring",
        "hiring_opening": "hiring",
        "hiring_candidate": "hiring",
        "hiring_loop": "hiring",
        "hiring_interview": "hiring",
        "hiring_feedback": "hiring",
        "decision": "decisions",
        "document": "documents",
        "document_session_comment": "documents",
        "prfaq": "working_backwards",
        "narrative": "working_backwards",
        "metric": "metrics",
        "deck": "metrics",
        "goal": "metrics",
        "experiment": "experiments",
        "experiment_metric_source": "experiments",
    }


def test_the_subject_types_are_read_only():
    with pytest.raises(TypeError):
        audit_services.subject_types()["team"] = None  # type: ignore[index]


def test_an_unregistered_subject_type_is_refused_naming_it(small_org):
    with pytest.raises(ValueError, match="spaceship"):
        audit_services.record_change(actor=SYSTEM, verb="create", subject_type="spaceship", subject_id=1)
    with pytest.raises(ValueError, match="spaceship"):
        audit_services.record_changes(
            actor=SYSTEM, changes=[{"verb": "create", "subject_type": "spaceship", "subject_id": 1}]
        )


def test_a_verb_its_type_does_not_register_is_refused_naming_it(small_org):
    with pytest.raises(ValueError, match="launch"):
        audit_services.record_change(actor=SYSTEM, verb="launch", subject_type="team", subject_id=1)
    with pytest.raises(ValueError, match="launch"):
        audit_services.record_changes(
            actor=SYSTEM, changes=[{"verb": "launch", "subject_type": "team", "subject_id": 1}]
        )


def test_a_subject_type_of_another_owner_cannot_be_taken_over():
    with pytest.raises(ValueError, match="already registered by 'org'"):
        audit_services.register_subject_type(
            subject_type=SubjectType(name="team", owner="catalog", verbs=frozenset({"create"}))
        )
    assert audit_services.subject_types()["team"].owner == "org"


def test_a_subject_type_needs_a_verb():
    with pytest.raises(ValueError, match="verb"):
        audit_services.register_subject_type(subject_type=SubjectType(name="x", owner="audit.tests", verbs=frozenset()))


def test_an_erasable_type_may_always_record_its_erasure(candidate_type):
    assert candidate_type.sensitivity == Sensitivity.ERASABLE
    assert "erase" in candidate_type.verbs


def test_every_registered_type_decides_who_sees_its_history_except_the_admin_only_outbox():
    types = audit_services.subject_types()
    assert types["notification_outbox"].visible is None
    assert all(t.visible is not None for n, t in types.items() if n != "notification_outbox")
