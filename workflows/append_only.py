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
