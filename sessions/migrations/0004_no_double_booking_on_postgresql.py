"""On PostgreSQL, the database itself refuses double bookings.

Exclusion constraints over half-open time ranges ('[)', so back-to-back appointments are fine),
cancelled rows excluded: one patient in one place at a time, one patient per physical room, one
appointment per clinician. The booking service checks first and maps a violation to a conflict.
"""

from typing import Any

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE kap_sessions_appointment ADD CONSTRAINT appointment_patient_no_overlap
    EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled');
ALTER TABLE kap_sessions_appointment ADD CONSTRAINT appointment_room_no_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled' AND room_exclusive);
ALTER TABLE kap_sessions_clinicianbooking ADD CONSTRAINT clinician_no_overlap
    EXCLUDE USING gist (clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (NOT is_cancelled);
"""

DROP = """
ALTER TABLE kap_sessions_appointment DROP CONSTRAINT IF EXISTS appointment_patient_no_overlap;
ALTER TABLE kap_sessions_appointment DROP CONSTRAINT IF EXISTS appointment_room_no_overlap;
ALTER TABLE kap_sessions_clinicianbooking DROP CONSTRAINT IF EXISTS clinician_no_overlap;
"""


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("kap_sessions", "0003_seed_protocols_and_policy")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
