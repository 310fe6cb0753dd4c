"""Secrets and erasure (docs/audit.md): a confidential record's history keeps the names of changed fields, never
their values; an erasable record's values are sealed under a per-subject key that erasure destroys, while the
fact of each change (who, when, verb) stays. Read back raw from the tables, not only through the service."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db

PERSONAL = ("Jane Roe", "jane.roe@example.com", "strong hire", "relocating")


def _raw_rows(subject_type: str, subject_id: str = "") -> list[str]:
    """Every column of the subject's change rows, as text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM audit_change WHERE subject_type = %s AND (%s = '' OR subject_id = %s) ORDER BY id",
            [subject_type, subject_id, subject_id],
        )
        return [" ".join(str(v) for v in row) for row in cursor.fetchall()]


def _keys() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_type, subject_id, key FROM audit_subjectkey")
        return list(cursor.fetchall())


def _write_candidate(actor, subject_id: int, name: str = "Jane Roe"):
    audit_services.record_change(
        actor=actor,
        verb="create",
        subject_type="test_candidate",
        subject_id=subject_id,
        subject_label=name,
        after={"name": name, "email": "jane.roe@example.com"},
    )
    audit_services.record_change(
        actor=actor,
        verb="update",
        subject_type="test_candidate",
        subject_id=subject_id,
        subject_label=name,
        before={"feedback": ""},
        after={"feedback": "strong hire"},
        reason="relocating",
    )


def _history(actor, subject_type: str, subject_id):
    return list(audit_services.list_changes(actor=actor, subject_type=subject_type, subject_id=subject_id).items)


def test_a_confidential_change_keeps_the_names_of_changed_fields_never_the_values(small_org, secret_type):
    admin = small_org.actor("admin")
    audit_services.record_change(
        actor=admin,
        verb="update",
        subject_type=secret_type.name,
        subject_id=5,
        subject_label="Feedback on Jane Roe",
        before={"rating": "lean no", "panel": "loop 1"},
        after={"rating": "strong hire", "panel": "loop 1"},
        reason="relocating",
    )
    [raw] = _raw_rows(secret_type.name)
    for value in ("lean no", "strong hire", "Jane Roe", "relocating", "loop 1"):
        assert value not in raw
    [change] = _history(admin, secret_type.name, 5)
    assert (change.before, change.after) == ({"fields": ["rating"]}, {"fields": ["rating"]})
    assert (change.subject_label, change.reason, change.verb, change.actor_label) == (
        "sealed feedback 5",
        "[withheld]",
        "update",
        "admin",
    )


def test_an_erasable_records_values_are_sealed_at_rest_and_read_back_through_the_service(small_org, candidate_type):
    admin = small_org.actor("admin")
    _write_candidate(admin, 1)

    for raw in _raw_rows(candidate_type.name):
        assert not any(value in raw for value in PERSONAL)
    update, create = _history(admin, candidate_type.name, 1)
    assert (create.subject_label, create.after) == ("Jane Roe", {"name": "Jane Roe", "email": "jane.roe@example.com"})
    assert (update.before, update.after, update.reason) == ({"feedback": ""}, {"feedback": "strong hire"}, "relocating")
    assert not update.erased
    assert [(t, i) for t, i, _ in _keys()] == [(candidate_type.name, "1")]


def test_erasure_leaves_the_facts_and_no_personal_value_readable(small_org, candidate_type, erased_live):
    admin = small_org.actor("admin")
    _write_candidate(admin, 1)
    _write_candidate(admin, 2, name="John Doe")
    [(_, _, key_of_1)] = [k for k in _keys() if k[1] == "1"]
    sealed = [raw for raw in _raw_rows(candidate_type.name, "1")]

    record = audit_services.erase_subject(
        actor=admin, subject_type=candidate_type.name, subject_id=1, reason="candidate asked to be forgotten"
    )

    assert erased_live == ["1"]  # the owning app was asked to erase its live content
    assert (record.verb, record.reason, record.subject_label) == (
        "erase",
        "candidate asked to be forgotten",
        "candidate 1",
    )
    history = _history(admin, candidate_type.name, 1)
    assert [(c.verb, c.actor_label, c.erased) for c in history] == [
        ("erase", "admin", False),
        ("update", "admin", True),
        ("create", "admin", True),
    ]
    for change in history[1:]:
        assert (change.before, change.after, change.reason, change.subject_label) == (None, None, "", "candidate 1")
    # Raw: the rows are still there, unchanged, with nothing personal in the clear, and no key opens them.
    assert _raw_rows(candidate_type.name, "1")[:2] == sealed
    for raw in _raw_rows(candidate_type.name, "1"):
        assert not any(value in raw for value in PERSONAL)
    assert [k[1] for k in _keys()] == ["2"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sealed FROM audit_change WHERE subject_type = %s AND subject_id = '1'", [candidate_type.name]
        )
        tokens = [t for (t,) in cursor.fetchall() if t]
    for token in tokens:
        for _, _, key in _keys():
            with pytest.raises(InvalidToken):
                Fernet(key.encode()).decrypt(token.encode())
    assert key_of_1 not in " ".join(_raw_rows(candidate_type.name))


def test_erasing_one_record_leaves_others_readable(small_org, candidate_type):
    admin = small_org.actor("admin")
    _write_candidate(admin, 1)
    _write_candidate(admin, 2, name="John Doe")
    audit_services.erase_subject(actor=admin, subject_type=candidate_type.name, subject_id=1, reason="asked")

    update, create = _history(admin, candidate_type.name, 2)
    assert (create.subject_label, create.after["name"], update.after) == (
        "John Doe",
        "John Doe",
        {"feedback": "strong hire"},
    )
    team = small_org.teams["checkout"]
    [*_, team_created] = _history(admin, "team", team.id)
    assert team_created.after["slug"] == "checkout"


def test_a_record_written_after_its_erasure_gets_a_new_key(small_org, candidate_type):
    admin = small_org.actor("admin")
    _write_candidate(admin, 1)
    audit_services.erase_subject(actor=admin, subject_type=candidate_type.name, subject_id=1, reason="asked")
    _write_candidate(admin, 1, name="Jane Again")
    newest = _history(admin, candidate_type.name, 1)[0]
    assert (newest.erased, newest.after) == (False, {"feedback": "strong hire"})
    assert _history(admin, candidate_type.name, 1)[-1].erased


def test_only_an_admin_erases_and_nothing_changes_when_refused(small_org, candidate_type, erased_live):
    _write_candidate(small_org.actor("admin"), 1)
    with pytest.raises(PermissionDenied):
        audit_services.erase_subject(
            actor=small_org.actor("ann"), subject_type=candidate_type.name, subject_id=1, reason="x"
        )
    assert erased_live == []
    assert len(_keys()) == 1


@pytest.mark.parametrize(
    ("subject_type", "reason", "field"),
    [("team", "asked", "subject_type"), ("spaceship", "asked", "subject_type"), ("test_candidate", " ", "reason")],
)
def test_only_erasable_records_are_erased_and_with_a_reason(small_org, candidate_type, subject_type, reason, field):
    with pytest.raises(RuleViolation) as refused:
        audit_services.erase_subject(
            actor=small_org.actor("admin"), subject_type=subject_type, subject_id=1, reason=reason
        )
    assert refused.value.field == field


def test_if_the_owner_cannot_erase_its_content_the_key_survives(small_org, candidate_type):
    from dataclasses import replace

    def refuse(subject_id: str) -> None:
        raise RuntimeError("live content is locked")

    audit_services.register_subject_type(subject_type=replace(candidate_type, erase=refuse))
    admin = small_org.actor("admin")
    _write_candidate(admin, 1)
    with pytest.raises(RuntimeError):
        audit_services.erase_subject(actor=admin, subject_type=candidate_type.name, subject_id=1, reason="asked")
    assert not _history(admin, candidate_type.name, 1)[0].erased
    assert [h.verb for h in _history(admin, candidate_type.name, 1)] == ["update", "create"]


def test_a_non_admin_reads_an_erasable_history_only_if_its_owner_lets_them(small_org, candidate_type):
    from mechanisms.kernel.errors import NotFound

    _write_candidate(small_org.actor("admin"), 1)
    with pytest.raises(NotFound):
        audit_services.list_changes(actor=small_org.actor("ann"), subject_type=candidate_type.name, subject_id=1)


def test_an_owner_that_keeps_a_record_from_admins_keeps_its_history_and_its_sealed_values_from_them(small_org):
    """Being an administrator never opens a confidential record its owner keeps from you (sealed hiring feedback):
    its history is NotFound, and the whole log lists the change (who, when, verb) with its sealed values closed,
    not reported as erased."""
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="test_sealed_candidate",
            owner="audit.tests",
            label="candidate",
            verbs=frozenset({"create"}),
            sensitivity=Sensitivity.ERASABLE,
            visible=lambda actor, ids: frozenset(),  # an owner that admits nobody through the log
        )
    )
    admin = small_org.actor("admin")
    audit_services.record_change(
        actor=admin,
        verb="create",
        subject_type="test_sealed_candidate",
        subject_id=7,
        subject_label="Jane Roe",
        after={"name": "Jane Roe"},
    )

    with pytest.raises(NotFound):
        audit_services.list_changes(actor=admin, subject_type="test_sealed_candidate", subject_id=7)
    [listed] = [
        c for c in audit_services.list_changes(actor=admin, limit=50).items if c.subject_type == "test_sealed_candidate"
    ]
    assert listed.verb == "create" and not listed.erased
    assert "Jane Roe" not in repr(listed)
