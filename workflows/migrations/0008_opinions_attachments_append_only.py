"""培养人意见 and uploaded files are append-only like the records: a new one supersedes."""

from django.db import migrations

from workflows.append_only import create_triggers, drop_triggers

TABLES = ("workflows_mentoropinion", "workflows_attachment")


def forwards(apps, schema_editor):
    for table in TABLES:
        create_triggers(schema_editor, table)


def backwards(apps, schema_editor):
    for table in TABLES:
        drop_triggers(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0007_training_work")]
    operations = [migrations.RunPython(forwards, backwards)]
