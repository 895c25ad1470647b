"""The `make run` path: migrate and seed_demo on an embedded SQLite file, with no server."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, subprocess_env


def _manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=subprocess_env(DEBUG="1", DATABASE_URL=f"sqlite:///{database}", REDIS_URL=""),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_migrate_and_seed_demo_work_on_sqlite_and_seeding_twice_changes_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    migrate = _manage(database, "migrate", "--no-input")
    assert migrate.returncode == 0, migrate.stderr

    first = _manage(database, "seed_demo")
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(database) as connection:
        # After the first run already: the demo patient signs in to her own record, with a team.
        linked = connection.execute(
            "SELECT p.user_id IS NOT NULL, p.prescriber_id IS NOT NULL, p.therapist_id IS NOT NULL"
            " FROM intake_patient p WHERE p.email = 'patient@kap.example.org'"
        ).fetchone()
    assert linked == (1, 1, 1)
    second = _manage(database, "seed_demo")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for email, password in [
        ("admin@kap.example.org", "demo-admin-pass"),
        ("frontdesk@kap.example.org", "demo-desk-pass"),
        ("prescriber@kap.example.org", "demo-prescriber-pass"),
        ("therapist@kap.example.org", "demo-therapist-pass"),
        ("patient@kap.example.org", "demo-patient-pass"),
    ]:
        assert email in second.stdout
        assert password in second.stdout

    with sqlite3.connect(database) as connection:
        counts = {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in [
                "accounts_user",
                "intake_patient",
                "kap_sessions_location",
                "kap_sessions_room",
                "intake_intakeform",
                "intake_medicalassessment",
                "intake_clinicalassessment",
                "intake_invitation",
            ]
        }
    assert counts == {
        # Two demo patients who submitted an intake have a sign-in without a password.
        "accounts_user": 7,
        "intake_patient": 4,
        "intake_intakeform": 3,
        "intake_medicalassessment": 1,
        "intake_clinicalassessment": 1,
        "intake_invitation": 1,
        "kap_sessions_location": 1,
        "kap_sessions_room": 3,
    }

    # The audit record is append-only on SQLite too, and its chain shows an inserted forgery.
    verified = _manage(database, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO audit_auditevent (uuid, occurred_at, action, object_type, object_id,"
            " user_agent, detail, sequence, previous_hash, row_hash)"
            " VALUES ('0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f', '2026-01-01 00:00:00', 'read',"
            " 'intake.patient', 'forged', '', '', 100000, 'x', 'y')"
        )
        for statement in [
            "UPDATE audit_auditevent SET detail = 'x'",
            "DELETE FROM audit_auditevent",
        ]:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute(statement)
    forged = _manage(database, "audit_verify")
    assert forged.returncode != 0
    assert "missing" in forged.stderr
