"""The hash chain over the audit trail (workflows/chain.py).

Adds seq / prev_hash / hash / evidence to the audit events, the one-row chain head and the
signed checkpoints. Existing events are numbered and hashed in id order, with the append-only
triggers lifted for that moment and restored (on SQLite the table is also rebuilt by the field
changes, which drops its triggers: they are recreated at the end either way). The checkpoints
table is append-only too.
"""

from django.db import migrations, models

from workflows.append_only import create_triggers, drop_triggers

AUDIT = "workflows_auditevent"
CHECKPOINTS = "workflows_auditcheckpoint"


def lift_trigger(apps, schema_editor):
    drop_triggers(schema_editor, AUDIT)


def number_and_hash(apps, schema_editor):
    from workflows.chain import GENESIS, event_hash

    AuditEvent = apps.get_model("workflows", "AuditEvent")
    AuditChainHead = apps.get_model("workflows", "AuditChainHead")
    prev, seq = GENESIS, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        digest = event_hash(
            seq=seq,
            at=event.at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            role=event.role,
            org_id=event.org_id,
            case_id=event.case_id,
            task_id_ref=event.task_id_ref,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            reason=event.reason,
            changes=event.changes,
            evidence=[],
            prev_hash=prev,
        )
        AuditEvent.objects.filter(pk=event.pk).update(seq=seq, prev_hash=prev, hash=digest, evidence=[])
        prev = digest
    AuditChainHead.objects.create(pk=1, seq=seq, hash=prev)


def restore_triggers(apps, schema_editor):
    create_triggers(schema_editor, AUDIT)
    create_triggers(schema_editor, CHECKPOINTS)


def drop_new_triggers(apps, schema_editor):
    drop_triggers(schema_editor, AUDIT)
    drop_triggers(schema_editor, CHECKPOINTS)


def restore_audit_trigger(apps, schema_editor):
    create_triggers(schema_editor, AUDIT)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0014_security_actions"),
    ]

    operations = [
        migrations.RunPython(lift_trigger, restore_audit_trigger),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(default=0, verbose_name="序号")),
                ("hash", models.CharField(max_length=64, verbose_name="事件摘要")),
            ],
            options={
                "verbose_name": "审计链头",
                "verbose_name_plural": "审计链头",
            },
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(verbose_name="序号")),
                ("head_hash", models.CharField(max_length=64, verbose_name="链头摘要")),
                ("at", models.DateTimeField(verbose_name="时间")),
                ("signature", models.CharField(max_length=64, verbose_name="签名")),
            ],
            options={
                "verbose_name": "审计检查点",
                "verbose_name_plural": "审计检查点",
                "ordering": ["seq", "id"],
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="evidence",
            field=models.JSONField(blank=True, default=list, verbose_name="证据摘要"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="事件摘要"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="前一事件摘要"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.RunPython(number_and_hash, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.RunPython(restore_triggers, drop_new_triggers),
    ]
