"""The database itself refuses UPDATE and DELETE of controlled-substance ledger entries, on
PostgreSQL (a trigger, like the audit table's) and on SQLite (`make run`).

SQLite drops a table's triggers when a later migration rebuilds the table: a migration that alters
kap_sessions_ledgerentry must create the SQLite triggers again.
"""

from typing import Any

from django.db import migrations

POSTGRESQL_CREATE = [
    """
    CREATE OR REPLACE FUNCTION ledger_entry_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'controlled-substance ledger entries are append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_entry_append_only
        BEFORE UPDATE OR DELETE ON kap_sessions_ledgerentry
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_refuse_change();
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON kap_sessions_ledgerentry",
    "DROP FUNCTION IF EXISTS ledger_entry_refuse_change()",
]
SQLITE_CREATE = [
    """
    CREATE TRIGGER IF NOT EXISTS ledger_entry_refuse_update BEFORE UPDATE
    ON kap_sessions_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS ledger_entry_refuse_delete BEFORE DELETE
    ON kap_sessions_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: DELETE refused'); END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_entry_refuse_update",
    "DROP TRIGGER IF EXISTS ledger_entry_refuse_delete",
]


def _run(postgresql: list[str], sqlite: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        statements = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, [])
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("kap_sessions", "0013_controlled_substance_ledger")]

    operations = [
        migrations.RunPython(
            _run(POSTGRESQL_CREATE, SQLITE_CREATE), _run(POSTGRESQL_DROP, SQLITE_DROP)
        )
    ]
