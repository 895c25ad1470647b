"""On SQLite (`make run`), the same guard as PostgreSQL's: UPDATE and DELETE of audit rows abort.

SQLite drops a table's triggers when a later migration rebuilds the table (most ALTERs do): a
migration that alters audit_auditevent must create these triggers again.
"""

from typing import Any

from django.db import migrations

CREATE = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_event_refuse_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_event_refuse_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_event_refuse_update",
    "DROP TRIGGER IF EXISTS audit_event_refuse_delete",
]


def _on_sqlite(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_actions_print_emergency_purge")]

    operations = [migrations.RunPython(_on_sqlite(CREATE), _on_sqlite(DROP))]
