"""Signed 培养记录 are append-only like the audit log: a correction is a new row."""

from django.db import migrations

from workflows.append_only import create_triggers, drop_triggers

TABLE = "workflows_trainingrecord"


def forwards(apps, schema_editor):
    create_triggers(schema_editor, TABLE)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_training_records")]
    operations = [migrations.RunPython(forwards, backwards)]
