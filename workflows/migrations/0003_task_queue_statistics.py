"""Tell PostgreSQL's planner that a queue's org, role and status go together.

Without it the planner expects a few dozen queued rows where a busy school has thousands,
and joins them all before sorting (see docs/performance.md).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS casetask_queue_stats (dependencies, mcv) "
            "ON org_id, role, status, flow_task_type FROM workflows_casetask;"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS casetask_queue_stats;")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
