"""Data: every opening's job description becomes its document (documents app, owner kind `hiring_opening`, the one
part `description`) with the column's text as revision 1. From here on documents keeps every revision of it, with
diffs and comments (DESIGN.md §2); 0004 drops the column. Reversible: going back copies each document's current
text into the column and deletes the openings' documents."""

from django.db import migrations

KIND = "hiring_opening"  # hiring.services.JD_KIND, spelled out: a migration never imports the app's code
PART = "description"  # hiring.services.JD_PART
NOTE = "the opening's job description, as it was before job descriptions became documents"


def forwards(apps, schema_editor):
    Opening = apps.get_model("hiring", "Opening")
    Document = apps.get_model("documents", "Document")
    Revision = apps.get_model("documents", "Revision")
    have = set(Document.objects.filter(owner_kind=KIND).values_list("owner_id", flat=True))
    for opening in Opening.objects.order_by("id").iterator():
        if str(opening.id) in have:
            continue
        doc = Document.objects.create(
            owner_kind=KIND, owner_id=str(opening.id), title=opening.title[:300], current=1, created_by_id=None
        )
        # The document is as old as its opening (auto_now_add set today's time on create).
        Document.objects.filter(pk=doc.pk).update(created_at=opening.created_at, updated_at=opening.updated_at)
        Revision.objects.create(
            document=doc,
            number=1,
            parts={PART: (opening.job_description or "").replace("\r\n", "\n")},
            note=NOTE,
            author_id=None,
            created_at=opening.updated_at,
        )


def backwards(apps, schema_editor):
    Opening = apps.get_model("hiring", "Opening")
    Document = apps.get_model("documents", "Document")
    Revision = apps.get_model("documents", "Revision")
    for doc in Document.objects.filter(owner_kind=KIND).order_by("id").iterator():
        current = Revision.objects.filter(document=doc, number=doc.current).first()
        text = (current.parts or {}).get(PART, "") if current is not None else ""
        if doc.owner_id.isdigit():
            Opening.objects.filter(pk=int(doc.owner_id)).update(job_description=text)
    Document.objects.filter(owner_kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0002_default_principles"),
        ("documents", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
