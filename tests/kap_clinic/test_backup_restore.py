"""scripts/db-backup.sh and scripts/db-restore.sh against the throwaway PostgreSQL cluster: the
backup restores into another database with the data, the audit chain intact and its guard on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from tests.conftest import PROJECT_ROOT, subprocess_env
from tests.factories import PatientFactory


def _url(name: str) -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}/{name}"


def _admin_sql(sql: str) -> None:
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"],
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql)
    finally:
        admin.close()


@pytest.fixture
def restore_database() -> Iterator[str]:
    name = f"kap_restore_{os.getpid()}"
    _admin_sql(f"DROP DATABASE IF EXISTS {name}")
    _admin_sql(f"CREATE DATABASE {name}")
    yield name
    _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _script(name: str, *args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROJECT_ROOT / "scripts" / name), *args],
        env=subprocess_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_with_its_data_and_an_intact_audit_chain(
    tmp_path: Path, restore_database: str, therapist: User
) -> None:
    patient = PatientFactory(legal_last_name="Restorable")
    audit_record(action=AuditAction.READ, actor=therapist, obj=patient, detail="before backup")
    backup = tmp_path / "backups" / "kap.dump"

    made = _script("db-backup.sh", str(backup), database_url=_url(connection.settings_dict["NAME"]))
    assert made.returncode == 0, made.stderr
    assert backup.stat().st_size > 0
    assert oct(backup.stat().st_mode & 0o777) == "0o600"

    refused = _script("db-restore.sh", str(backup), database_url=_url(restore_database))
    assert refused.returncode == 2  # needs --yes
    restored = _script("db-restore.sh", str(backup), "--yes", database_url=_url(restore_database))
    assert restored.returncode == 0, restored.stderr

    settings = connection.settings_dict
    with (
        psycopg2.connect(
            dbname=restore_database,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            host=settings["HOST"],
            port=settings["PORT"],
        ) as restored_connection,
        restored_connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM intake_patient WHERE legal_last_name = 'Restorable'")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_event_append_only'")
        assert cursor.fetchone() == (1,)

    verify = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=PROJECT_ROOT,
        env=subprocess_env(DATABASE_URL=_url(restore_database)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    assert "Audit chain intact" in verify.stdout
