"""The `make run` path: migrate and seed_demo on an embedded SQLite file, with no server."""

import sqlite3
import subprocess
import sys
from pathlib import Path

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
