"""The change log cannot be rewritten, on SQLite or PostgreSQL, through any SQL path: UPDATE, DELETE, UPSERT,
REPLACE / INSERT OR REPLACE (SQLite), TRUNCATE and MERGE (PostgreSQL). Run on both databases (DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
COLUMNS = "id, at, actor_label, correlation_id, verb, subject_type, subject_id, subject_label, reason"
ROW = "%s, '2020-01-01 00:00:00', 'mallory', 'forged', 'create', 'team', '1', 'forged', 'rewritten'"

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite syntax")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL syntax")


def _snapshot():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, actor_label, reason, subject_label FROM audit_change ORDER BY id")
        return cursor.fetchall()


def _refused(sql: str, params=()):
    before = _snapshot()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert _snapshot() == before


@pytest.fixture
def first_id(small_org) -> int:
    return audit_services.list_changes(actor=SYSTEM, limit=200).items[-1].id


def test_update_is_refused(first_id):
    _refused("UPDATE audit_change SET reason = 'rewritten' WHERE id = %s", [first_id])


def test_delete_is_refused(first_id):
    _refused("DELETE FROM audit_change WHERE id = %s", [first_id])


def test_deleting_everything_is_refused(first_id):
    _refused("DELETE FROM audit_change")


def test_upsert_over_an_existing_id_is_refused(first_id):
    _refused(
        f"INSERT INTO audit_change ({COLUMNS}) VALUES ({ROW}) ON CONFLICT (id) DO UPDATE SET reason = 'x'", [first_id]
    )


def test_inserting_an_existing_id_is_refused(first_id):
    _refused(f"INSERT INTO audit_change ({COLUMNS}) VALUES ({ROW})", [first_id])


@sqlite_only
def test_replace_into_over_an_existing_id_is_refused(first_id):
    _refused(f"REPLACE INTO audit_change ({COLUMNS}) VALUES ({ROW})", [first_id])


@sqlite_only
def test_insert_or_replace_over_an_existing_id_is_refused(first_id):
    _refused(f"INSERT OR REPLACE INTO audit_change ({COLUMNS}) VALUES ({ROW})", [first_id])


@sqlite_only
def test_update_or_replace_is_refused(first_id):
    _refused("UPDATE OR REPLACE audit_change SET id = %s WHERE id = %s", [first_id, first_id + 1])


@postgres_only
def test_truncate_is_refused(first_id):
    _refused("TRUNCATE audit_change")


@postgres_only
def test_merge_over_an_existing_id_is_refused(first_id):
    if connection.pg_version < 150000:
        pytest.skip("MERGE needs PostgreSQL 15")
    _refused(
        "MERGE INTO audit_change c USING (SELECT %s::bigint AS id) s ON c.id = s.id "
        "WHEN MATCHED THEN UPDATE SET reason = 'rewritten'",
        [first_id],
    )


@postgres_only
def test_merge_deleting_a_record_is_refused(first_id):
    if connection.pg_version < 150000:
        pytest.skip("MERGE needs PostgreSQL 15")
    _refused(
        "MERGE INTO audit_change c USING (SELECT %s::bigint AS id) s ON c.id = s.id WHEN MATCHED THEN DELETE",
        [first_id],
    )


def test_new_records_are_still_appended(first_id):
    before = len(_snapshot())
    audit_services.record_change(actor=SYSTEM, verb="update", subject_type="team", subject_id=1, after={"a": 1})
    assert len(_snapshot()) == before + 1


def test_the_key_table_of_erasable_records_is_deliberately_mutable(candidate_type):
    audit_services.record_change(actor=SYSTEM, verb="create", subject_type=candidate_type.name, subject_id=7)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_subjectkey WHERE subject_type = %s", [candidate_type.name])
        assert cursor.rowcount == 1


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_write_changes_and_its_flush_empties_the_log(small_org):
    # Its teardown flush sets the triggers aside and puts them back (root conftest.py): the next test checks.
    assert audit_services.list_changes(actor=SYSTEM, limit=1).total > 0


def test_after_a_transactional_tests_flush_the_guards_are_back(first_id):
    _refused("UPDATE audit_change SET reason = 'rewritten' WHERE id = %s", [first_id])
    if connection.vendor == "sqlite":
        _refused(f"REPLACE INTO audit_change ({COLUMNS}) VALUES ({ROW})", [first_id])
    else:
        _refused("TRUNCATE audit_change")
