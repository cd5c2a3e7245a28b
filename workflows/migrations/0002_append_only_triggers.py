"""The audit log and the 附件2 rows are append-only: the database refuses UPDATE and DELETE.

Rows are refused at the database, not in Python, so no code path (admin, shell, raw SQL,
a future bug) can rewrite history.
"""

from django.db import migrations

from workflows.append_only import create_triggers, drop_triggers

TABLES = ("workflows_auditevent", "workflows_annex2row")


def forwards(apps, schema_editor):
    for table in TABLES:
        create_triggers(schema_editor, table)


def backwards(apps, schema_editor):
    for table in TABLES:
        drop_triggers(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
