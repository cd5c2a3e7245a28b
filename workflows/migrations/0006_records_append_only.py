"""Signed 培养记录 are append-only like the audit log: a correction is a new row."""

from django.db import migrations

TABLE = "workflows_trainingrecord"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # shuangpei_append_only() was created by 0002.
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION shuangpei_append_only();"
        )
    elif vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {TABLE}: {op} refused'); END;"
            )
    else:
        raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
    elif vendor == "sqlite":
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{op};")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_training_records")]
    operations = [migrations.RunPython(forwards, backwards)]
