"""SQLite's REPLACE (and INSERT OR REPLACE) over an existing id deletes the old row without firing DELETE
triggers, so a BEFORE INSERT trigger refuses any insert whose id is already taken. PostgreSQL has no REPLACE; its
UPSERT and MERGE update the row and meet the UPDATE trigger of 0002."""

from django.db import migrations

SQLITE = """CREATE TRIGGER audit_change_no_replace BEFORE INSERT ON audit_change
    WHEN EXISTS (SELECT 1 FROM audit_change WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_change is append-only'); END;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER audit_change_no_replace;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keys_and_client_ids")]
    operations = [migrations.RunPython(forwards, backwards)]
