"""$export through a real Celery worker that is killed in the middle: the broker redelivers the
job (acks late, visibility timeout) to a new worker, which resumes from the stored progress and
finishes once, with every resource present exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.interop.models import ExportJob, ExportStatus
from tests.conftest import PROJECT_ROOT
from tests.factories import PatientFactory
from tests.interop.conftest import build_record
from tests.notifications.worker_support import (
    child_env,
    isolated_redis_url,
    wait_until,
    worker_start,
    worker_stop,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
# The broker gives an unacknowledged task to another worker after this many seconds.
VISIBILITY_SECONDS = 3


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    redis.Redis.from_url(isolated_redis_url()).flushdb()
    return child_env(
        redis_url=isolated_redis_url(),
        delivery_log=tmp_path / "deliveries.log",
        EXPORT_DIR=str(tmp_path / "exports"),
        EXPORT_CHUNK_ROWS="1",
        MESSAGE_CLAIM_TIMEOUT_SECONDS=str(VISIBILITY_SECONDS),
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        worker_stop(process)


def _kick_off(env: dict[str, str], admin: User) -> ExportJob:
    """Kicks the export off in a child process, so the task goes to the isolated broker."""
    script = (
        "import sys, django; django.setup(); "
        "from kap_clinic.accounts.models import User; "
        "from kap_clinic.interop.export import export_job_create; "
        "print(export_job_create(by=User.objects.get(uuid=sys.argv[1]), level='system', "
        "request_url='http://testserver/fhir/$export').pk)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(admin.uuid)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return ExportJob.objects.get(pk=int(result.stdout.decode().split()[-1]))


def _written(job: ExportJob) -> int:
    job.refresh_from_db()
    return sum(job.progress.get("counts", {}).values())


def test_a_worker_killed_mid_export_is_replaced_and_the_export_finishes_once(
    env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
    prescriber: User,
    therapist: User,
    clinic_admin: User,
    organisation: Any,
    tmp_path: Path,
):
    patients: list[Patient] = []
    for _ in range(12):
        patient = PatientFactory(prescriber=prescriber, therapist=therapist)
        build_record(patient, prescriber, therapist)
        patients.append(patient)
    first = worker_start(env, name="export-first")
    processes.append(first)
    job = _kick_off(env, clinic_admin)
    wait_until(lambda: _written(job) >= 5, timeout=60, what="the first chunks")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=20)
    job.refresh_from_db()
    assert job.status == ExportStatus.IN_PROGRESS
    written_before = _written(job)

    processes.append(worker_start(env, name="export-second"))
    wait_until(
        lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.COMPLETED).exists(),
        timeout=120,
        what="the export to finish on the second worker",
    )
    job.refresh_from_db()
    assert sum(job.progress["counts"].values()) > written_before
    directory = tmp_path / "exports" / str(job.uuid)
    found: dict[str, list[str]] = {}
    for resource_type, files in job.progress["files"].items():
        for file in files:
            for line in (directory / file["name"]).read_text().splitlines():
                found.setdefault(resource_type, []).append(json.loads(line)["id"])
    for ids in found.values():
        assert len(ids) == len(set(ids))
    assert len(found["Patient"]) == len(patients)
    assert len(found["MedicationAdministration"]) == len(patients)
    assert len(found["DocumentReference"]) == len(patients)
    assert len(found["Observation"]) == len(patients) * 12
    assert (
        AuditEvent.objects.filter(object_id=str(job.uuid), detail="bulk export ready").count() == 1
    )
