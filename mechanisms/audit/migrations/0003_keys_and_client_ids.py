"""The caller's own request id and the sealed values of erasable records on each change; the per-subject keys.

The columns are added with plain ALTER TABLE ... ADD COLUMN on both databases: Django's SQLite schema editor would
otherwise rebuild audit_change for a column with a default, copying the log and dropping its triggers."""

from django.db import migrations, models

ADD_COLUMNS = [
    "ALTER TABLE audit_change ADD COLUMN client_request_id varchar(64) NOT NULL DEFAULT ''",
    "ALTER TABLE audit_change ADD COLUMN sealed text NOT NULL DEFAULT ''",
]
DROP_COLUMNS = [
    "ALTER TABLE audit_change DROP COLUMN client_request_id",
    "ALTER TABLE audit_change DROP COLUMN sealed",
]


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD_COLUMNS, DROP_COLUMNS)],
            state_operations=[
                migrations.AddField(
                    model_name="change",
                    name="client_request_id",
                    field=models.CharField(max_length=64, blank=True, default=""),
                ),
                migrations.AddField(model_name="change", name="sealed", field=models.TextField(blank=True, default="")),
            ],
        ),
        migrations.CreateModel(
            name="SubjectKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("subject_type", models.CharField(max_length=64)),
                ("subject_id", models.CharField(max_length=64)),
                ("key", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("subject_type", "subject_id"), name="audit_subject_key_unique")
                ],
            },
        ),
    ]
