"""Schema: the opening's job description column goes; its text lives in the opening's document since 0003."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("hiring", "0003_jd_documents")]

    operations = [migrations.RemoveField(model_name="opening", name="job_description")]
