"""Where the deployment names an application role (DATABASE_APP_ROLE), it may only read and
append the audit record: no TRUNCATE, UPDATE, DELETE or triggers (PostgreSQL only)."""

from typing import Any

from django.conf import settings
from django.db import migrations


def _restrict(apps: Any, schema_editor: Any) -> None:
    from kap_clinic.audit.privileges import audit_privileges_restrict

    audit_privileges_restrict(schema_editor.connection, settings.DATABASE_APP_ROLE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_sqlite_append_only_triggers")]

    operations = [migrations.RunPython(_restrict, migrations.RunPython.noop)]
