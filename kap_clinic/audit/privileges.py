"""Least privilege for the audit record on PostgreSQL, where owner and application roles differ.

The owner role runs migrations and owns the tables; the application role (``DATABASE_APP_ROLE``)
only reads and appends audit rows. Without ownership it cannot DISABLE or DROP the append-only
trigger either (PostgreSQL reserves ALTER TABLE and DROP TRIGGER to the owner), and without the
TRIGGER privilege it cannot add its own.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
APPEND_ONLY_TABLES = ("audit_auditevent",)
# The chain head is rewritten on every append; the verification log is append-only too.
APPENDED_TABLES = ("audit_auditverification",)


def audit_privileges_restrict(connection: Any, role: str) -> None:
    """Lets ``role`` read and insert audit rows, and nothing else on the audit tables."""
    if connection.vendor != "postgresql" or not role:
        return
    if not ROLE_NAME.match(role):
        raise ImproperlyConfigured("DATABASE_APP_ROLE must be a plain PostgreSQL role name.")
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        for table in (*APPEND_ONLY_TABLES, *APPENDED_TABLES):
            cursor.execute(
                f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {table} FROM {quoted}"
            )
            cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_auditchainhead TO {quoted}")
        cursor.execute(
            f"REVOKE DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_auditchainhead FROM {quoted}"
        )
        # The id sequences, so the role can insert.
        cursor.execute(
            f"GRANT USAGE, SELECT ON SEQUENCE audit_auditevent_id_seq, "
            f"audit_auditverification_id_seq, audit_auditchainhead_id_seq TO {quoted}"
        )
