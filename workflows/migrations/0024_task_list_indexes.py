"""The partial indexes 我的待办 and 待认领 read (issue 13); apart from 0023 so that PostgreSQL has
checked 0023's new foreign keys (committed) before it builds them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0023_task_case_facts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casetask",
            index=models.Index(
                condition=models.Q(("flow_task_type", "HUMAN"), ("status", "NEW")),
                fields=["org", "role", "due_at", "id"],
                include=("case_id", "opens_on", "case_kind", "unit_id", "stage", "trainee_name"),
                name="task_queue_new",
            ),
        ),
        migrations.AddIndex(
            model_name="casetask",
            index=models.Index(
                condition=models.Q(("flow_task_type", "HUMAN"), ("status__in", ["ASSIGNED", "STARTED"])),
                fields=["owner", "due_at", "id"],
                include=("case_id", "opens_on", "case_kind", "unit_id", "stage", "trainee_name"),
                name="task_inbox_open",
            ),
        ),
    ]
