"""Database triggers that make a table append-only (UPDATE and DELETE refused).

Used by migrations 0002 (audit log, 附件2 rows) and 0006 (培养记录). TRUNCATE stays possible
for the table owner (test teardown on PostgreSQL).
"""

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION shuangpei_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(schema_editor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the function body's % signs are not query placeholders.
        schema_editor.execute(PG_FUNCTION, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION shuangpei_append_only();"
        )
    elif vendor == "sqlite":
        for op in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END;"
            )
    else:
        # Refuse to migrate rather than silently leave the table writable.
        raise RuntimeError(f"append-only triggers are written for SQLite and PostgreSQL, not {vendor}")


def drop_triggers(schema_editor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    elif vendor == "sqlite":
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


# Every append-only table, with the migration that gives it its triggers (checked only once
# that migration is applied, so ``migrate`` on a new database is not stopped by the check).
APPEND_ONLY_TABLES = {
    "workflows_auditevent": "0002_append_only_triggers",
    "workflows_annex2row": "0002_append_only_triggers",
    "workflows_trainingrecord": "0006_records_append_only",
    "workflows_mentoropinion": "0008_opinions_attachments_append_only",
    "workflows_attachment": "0008_opinions_attachments_append_only",
    "workflows_auditcheckpoint": "0015_audit_chain",
}


def expected_triggers(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f"{table}_append_only"]
    return [f"{table}_no_update", f"{table}_no_delete"]


def missing_triggers(connection) -> list[str]:
    """The append-only triggers that should exist (their migration applied) but do not, or are
    disabled (PostgreSQL ``ALTER TABLE … DISABLE TRIGGER``)."""
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    applied = {name for app, name in recorder.applied_migrations() if app == "workflows"}
    tables = [t for t, migration in APPEND_ONLY_TABLES.items() if migration in applied]
    if not tables:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname || '_append_only' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgname = c.relname || '_append_only' "
                "AND c.relname = ANY(%s)",
                [tables],
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    return [name for t in tables for name in expected_triggers(connection.vendor, t) if name not in present]


def check_append_only_triggers(app_configs=None, **kwargs):
    """System check (``manage.py check``, server start-up): every append-only trigger is there."""
    from django.core.checks import Error
    from django.db import DatabaseError, connections

    errors = []
    for alias in kwargs.get("databases") or ["default"]:
        connection = connections[alias]
        try:
            missing = missing_triggers(connection)
        except DatabaseError:
            continue  # no database to look at (yet): other checks and /healthz report that
        for name in missing:
            errors.append(
                Error(
                    f"只追加表的触发器 {name} 缺失或已停用（数据库 {alias}）：该表可被改写而无人察觉。",
                    hint="请重建该触发器（workflows.append_only.create_triggers），"
                    "并运行 manage.py audit_verify 核验审计链。",
                    id="workflows.E001",
                )
            )
    return errors
