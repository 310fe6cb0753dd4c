"""Test-only subject types of the audit tests: an erasable one (a candidate, as hiring will have) and a
confidential one, registered by the test as an owning app would register its own."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType

TEST_OWNER = "audit.tests"
CANDIDATE = "test_candidate"
SECRET = "test_secret"


@pytest.fixture
def erased_live() -> list[str]:
    """The subject ids the erasable type's owner was asked to erase (its live content, in a real app)."""
    return []


@pytest.fixture
def candidate_type(erased_live) -> SubjectType:
    subject_type = SubjectType(
        name=CANDIDATE,
        owner=TEST_OWNER,
        label="candidate",
        verbs=frozenset({"create", "update"}),
        sensitivity=Sensitivity.ERASABLE,
        # This owner admits administrators (hiring admits only a loop's insiders: its own policy decides).
        visible=lambda actor, ids: ids if actor.is_admin else frozenset(),
        erase=erased_live.append,
    )
    audit_services.register_subject_type(subject_type=subject_type)
    return audit_services.subject_types()[CANDIDATE]


@pytest.fixture
def secret_type() -> SubjectType:
    subject_type = SubjectType(
        name=SECRET,
        owner=TEST_OWNER,
        label="sealed feedback",
        verbs=frozenset({"create", "update"}),
        sensitivity=Sensitivity.CONFIDENTIAL,
        visible=audit_services.visible_to_signed_in,
    )
    audit_services.register_subject_type(subject_type=subject_type)
    return subject_type
