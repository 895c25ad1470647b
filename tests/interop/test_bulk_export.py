"""FHIR Bulk Data $export: kick-off, status, manifest, NDJSON files that validate, resuming after
an interruption without duplicates, expiry, and access (the admin who asked only)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.interop import export
from kap_clinic.interop.export import export_job_run, exports_expire
from kap_clinic.interop.models import ExportJob, ExportStatus
from tests.factories import UserFactory
from tests.interop.conftest import PSYCHOTHERAPY_SECRET, Record

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.EXPORT_CHUNK_ROWS = 2
    return settings.EXPORT_DIR


def kick_off(client: Client, url: str, django_capture_on_commit_callbacks: Any) -> ExportJob:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(url, **ASYNC)
    assert response.status_code == 202, response.content
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert response["Content-Location"].endswith(f"/fhir/$export-status/{job.uuid}")
    return job


def exported(client: Client, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    resources: dict[str, list[dict[str, Any]]] = {}
    for output in manifest["output"]:
        response = client.get(output["url"].split("testserver")[-1])
        assert response.status_code == 200
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == output["type"]
            get_fhir_model_class(output["type"]).model_validate(resource)
            resources.setdefault(output["type"], []).append(resource)
    return resources


def searched_ids(client: Client, resource_type: str) -> list[str]:
    bundle = json.loads(client.get(f"/fhir/{resource_type}?_count=200").content)
    return sorted(entry["resource"]["id"] for entry in bundle.get("entry", []))


def test_system_export_writes_every_resource_once_and_the_manifest_lists_the_files(
    client: Client, record: Record, clinic_admin: User, django_capture_on_commit_callbacks: Any
):
    client.force_login(clinic_admin)
    job = kick_off(client, "/fhir/$export", django_capture_on_commit_callbacks)
    status = client.get(f"/fhir/$export-status/{job.uuid}")
    assert status.status_code == 202
    assert "0 of" in status["X-Progress"]

    assert export_job_run(job_id=job.pk) == "completed"
    assert export_job_run(job_id=job.pk) == "nothing to do"
    status = client.get(f"/fhir/$export-status/{job.uuid}")
    assert status.status_code == 200
    manifest = json.loads(status.content)
    assert manifest["requiresAccessToken"] is True
    resources = exported(client, manifest)
    for resource_type in job.types:
        ids = sorted(r["id"] for r in resources.get(resource_type, []))
        assert ids == searched_ids(client, resource_type), resource_type
    assert PSYCHOTHERAPY_SECRET not in json.dumps(resources)


def test_an_interrupted_export_resumes_without_duplicates(
    client: Client,
    record: Record,
    clinic_admin: User,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
):
    client.force_login(clinic_admin)
    job = kick_off(client, "/fhir/Patient/$export", django_capture_on_commit_callbacks)
    real_save = export._save
    calls = Counter[str]()

    def crash_after_five(job: ExportJob, progress: dict[str, Any]) -> None:
        calls["saves"] += 1
        if calls["saves"] > 5:
            raise SystemExit("worker lost")
        real_save(job, progress)

    monkeypatch.setattr(export, "_save", crash_after_five)
    with pytest.raises(SystemExit):
        export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.IN_PROGRESS
    assert sum(job.progress["counts"].values()) > 0
    monkeypatch.setattr(export, "_save", real_save)

    assert export_job_run(job_id=job.pk) == "completed"
    resources = exported(client, json.loads(client.get(f"/fhir/$export-status/{job.uuid}").content))
    assert "Practitioner" not in resources  # not in the patient compartment
    for resource_type, found in resources.items():
        ids = [r["id"] for r in found]
        assert len(ids) == len(set(ids)), resource_type
        assert sorted(ids) == searched_ids(client, resource_type), resource_type


def test_files_expire_after_the_policy_time(
    client: Client,
    record: Record,
    clinic_admin: User,
    django_capture_on_commit_callbacks: Any,
    export_dir: Path,
):
    client.force_login(clinic_admin)
    job = kick_off(
        client, "/fhir/Group/clinic/$export?_type=Patient", django_capture_on_commit_callbacks
    )
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.expires_at is not None
    assert exports_expire() == 0
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exports_expire() == 1
    assert not (export_dir / str(job.uuid)).exists()
    response = client.get(f"/fhir/$export-status/{job.uuid}")
    assert response.status_code == 404
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_only_the_admin_who_asked_sees_the_export(
    client: Client,
    record: Record,
    clinic_admin: User,
    prescriber: User,
    django_capture_on_commit_callbacks: Any,
):
    client.force_login(prescriber)
    assert client.get("/fhir/$export", **ASYNC).status_code == 403
    client.force_login(clinic_admin)
    assert client.get("/fhir/$export").status_code == 400  # Prefer: respond-async missing
    assert client.get("/fhir/$export?_type=Spaceship", **ASYNC).status_code == 400
    assert client.get("/fhir/Group/nobody/$export", **ASYNC).status_code == 404
    job = kick_off(client, "/fhir/$export", django_capture_on_commit_callbacks)
    export_job_run(job_id=job.pk)
    client.force_login(UserFactory(role=Role.CLINIC_ADMIN))
    assert client.get(f"/fhir/$export-status/{job.uuid}").status_code == 404
    first_file = ExportJob.objects.get().progress["files"]["Patient"][0]
    assert client.get(f"/fhir/$export-file/{job.uuid}/{first_file['name']}").status_code == 404
