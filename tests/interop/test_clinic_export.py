"""Whole-clinic export: the management command streams every resource type to NDJSON with the
format document; the admin page starts a bulk export and shows its progress."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.interop.export import export_job_run
from kap_clinic.interop.models import ExportJob
from tests.interop.conftest import PSYCHOTHERAPY_SECRET, Record

pytestmark = pytest.mark.django_db


def test_command_writes_every_resource_with_manifest_and_format(
    record: Record, clinic_admin: User, tmp_path: Path
):
    out = tmp_path / "clinic"
    stdout = StringIO()
    call_command("clinic_export", "--out", str(out), stdout=stdout)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "Psychotherapy notes" in (out / "README.md").read_text()
    counts = {entry["type"]: entry["count"] for entry in manifest["files"]}
    assert counts["Patient"] == 1
    assert counts["MedicationAdministration"] == 1
    assert counts["DocumentReference"] == 1
    for entry in manifest["files"]:
        lines = (out / entry["file"]).read_text().splitlines()
        assert len(lines) == entry["count"]
        for line in lines:
            get_fhir_model_class(entry["type"]).model_validate_json(line)
            assert PSYCHOTHERAPY_SECRET not in line
    assert f"{sum(counts.values())} resources written" in stdout.getvalue()
    assert AuditEvent.objects.filter(action="export", actor=clinic_admin).count() == 1


def test_command_needs_a_clinic_admin(record: Record, tmp_path: Path):
    with pytest.raises(CommandError):
        call_command("clinic_export", "--out", str(tmp_path / "x"))


def test_admin_page_starts_an_export_and_shows_progress_and_files(
    client: Client,
    record: Record,
    clinic_admin: User,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
):
    settings.EXPORT_DIR = tmp_path / "exports"
    client.force_login(clinic_admin)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post("/records/exports/").status_code == 302
    job = ExportJob.objects.get()
    assert "0 of" in client.get("/records/exports/").content.decode()
    export_job_run(job_id=job.pk)
    page = client.get("/records/exports/").content.decode()
    assert "Ready to download" in page
    assert f"/fhir/$export-file/{job.uuid}/Patient.00000.ndjson" in page


def test_only_clinic_admins_open_the_export_page(client: Client, front_desk: User):
    client.force_login(front_desk)
    assert client.get("/records/exports/").status_code == 403
