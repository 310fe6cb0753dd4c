"""The change log is append-only in the database itself: UPDATE and DELETE are rejected by triggers."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_change_no_update BEFORE UPDATE ON audit_change
       BEGIN SELECT RAISE(ABORT, 'audit_change is append-only'); END;""",
    """CREATE TRIGGER audit_change_no_delete BEFORE DELETE ON audit_change
       BEGIN SELECT RAISE(ABORT, 'audit_change is append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER audit_change_no_update;", "DROP TRIGGER audit_change_no_delete;"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_change_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_change is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_change_no_update BEFORE UPDATE OR DELETE ON audit_change
       FOR EACH ROW EXECUTE FUNCTION audit_change_append_only();""",
    """CREATE TRIGGER audit_change_no_truncate BEFORE TRUNCATE ON audit_change
       FOR EACH STATEMENT EXECUTE FUNCTION audit_change_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER audit_change_no_update ON audit_change;",
    "DROP TRIGGER audit_change_no_truncate ON audit_change;",
    "DROP FUNCTION audit_change_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
