"""The review's approval becomes a state of its own (`approved`): a request in review whose review was approved
moves there, so the hand-off is offered only after it and the timeline no longer reads "in review -> in review"."""

from django.db import migrations


def forwards(apps, schema_editor):
    Request = apps.get_model("away_teams", "Request")
    Request.objects.filter(state="in_review", review_approved=True).update(state="approved")


def backwards(apps, schema_editor):
    Request = apps.get_model("away_teams", "Request")
    Request.objects.filter(state="approved").update(state="in_review", review_approved=True)


class Migration(migrations.Migration):
    dependencies = [("away_teams", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
