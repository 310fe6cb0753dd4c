"""Migrations 0003/0004: each opening's job description column becomes revision 1 of the opening's document, and
going back puts the current revision's text into the column again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("hiring", "0002_default_principles")]
AFTER = [("hiring", "0004_drop_job_description")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([*targets, ("documents", "0001_initial")]).apps


@pytest.mark.django_db(transaction=True)
def test_each_job_description_moves_into_revision_one_of_its_opening_document_and_back():
    old = _migrate(BEFORE)
    Opening = old.get_model("hiring", "Opening")
    made = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    written = Opening.objects.create(
        title="SDE", team_id=1, hiring_manager_id=1, level="L5", job_description="We build.\r\nCome.", state="open"
    )
    empty = Opening.objects.create(title="Draft", team_id=1, hiring_manager_id=1, level="L4", state="draft")
    Opening.objects.filter(pk=written.pk).update(created_at=made, updated_at=made)

    new = _migrate(AFTER)
    Document = new.get_model("documents", "Document")
    Revision = new.get_model("documents", "Revision")
    docs = {d.owner_id: d for d in Document.objects.filter(owner_kind="hiring_opening")}
    assert set(docs) == {str(written.pk), str(empty.pk)}
    assert docs[str(written.pk)].current == 1 and docs[str(written.pk)].created_at == made
    first = Revision.objects.get(document=docs[str(written.pk)], number=1)
    assert first.parts == {"description": "We build.\nCome."} and first.author_id is None
    assert Revision.objects.get(document=docs[str(empty.pk)], number=1).parts == {"description": ""}
    assert "job_description" not in {f.name for f in new.get_model("hiring", "Opening")._meta.get_fields()}

    Revision.objects.create(
        document=docs[str(written.pk)], number=2, parts={"description": "Revised."}, created_at=made
    )
    Document.objects.filter(pk=docs[str(written.pk)].pk).update(current=2)
    back = _migrate(BEFORE)
    assert back.get_model("hiring", "Opening").objects.get(pk=written.pk).job_description == "Revised."
    assert not back.get_model("documents", "Document").objects.filter(owner_kind="hiring_opening").exists()
    _migrate(AFTER)  # leave the schema as the other tests expect it
