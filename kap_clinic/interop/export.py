"""FHIR Bulk Data $export: kick-off, the chunked NDJSON writer a worker runs, status, expiry.

The writer saves where it stands on the job row after each chunk file is in place (written to a
temporary name, then renamed), so a worker killed mid-run leaves a job the broker redelivers
(acks late, reject on worker lost) and the next run resumes from the last chunk: the file of a
half-written chunk is simply written again under the same name, never twice.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.models import ExportJob, ExportLevel, ExportStatus
from kap_clinic.interop.registry import FhirSource, fhir_resource_types, fhir_sources
from kap_clinic.interop.views import may_see_clinical

# Patient-level and group-level exports hold the Patient and the resources of its compartment.
_COMPARTMENT_BASE = "Patient"


class ExportRequestError(ValueError):
    """A kick-off the server cannot accept (unknown type, unsupported format)."""


def export_types(level: str, wanted: list[str] | None) -> list[str]:
    every = fhir_resource_types()
    if level != ExportLevel.SYSTEM:
        every = [
            t
            for t in every
            if t == _COMPARTMENT_BASE or any("patient" in s.search for s in fhir_sources(t))
        ]
    if not wanted:
        return every
    unknown = sorted(set(wanted) - set(every))
    if unknown:
        raise ExportRequestError(f"Not exported at this level: {', '.join(unknown)}.")
    return [t for t in every if t in wanted]


@transaction.atomic
def export_job_create(
    *, by: User, level: str, request_url: str, types: list[str] | None = None, group_id: str = ""
) -> ExportJob:
    job = ExportJob.objects.create(
        requested_by=by,
        level=level,
        group_id=group_id,
        request_url=request_url,
        types=export_types(level, types),
        progress={"type_index": 0, "source_index": 0, "cursor": 0, "chunk": 0, "counts": {},
                  "files": {}},
    )  # fmt: skip
    audit_record(action=AuditAction.EXPORT, actor=by, obj=job, detail=f"bulk export {level}")
    from kap_clinic.interop.tasks import export_job_run_task

    transaction.on_commit(lambda: export_job_run_task.delay(job.pk))
    return job


def export_directory(job: ExportJob) -> Path:
    return Path(settings.EXPORT_DIR) / str(job.uuid)


def _sources(job: ExportJob, resource_type: str) -> list[FhirSource]:
    sources = fhir_sources(resource_type)
    if not may_see_clinical(job.requested_by):
        sources = [s for s in sources if not s.clinical]
    if job.level != ExportLevel.SYSTEM and resource_type != _COMPARTMENT_BASE:
        sources = [s for s in sources if "patient" in s.search]
    return sources


def _save(job: ExportJob, progress: dict[str, Any]) -> None:
    ExportJob.objects.filter(pk=job.pk).update(progress=progress, heartbeat_at=timezone.now())


def export_job_run(*, job_id: int) -> str:
    """Writes (or finishes writing) the job's files; safe to run again after any interruption."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status not in (ExportStatus.ACCEPTED, ExportStatus.IN_PROGRESS):
        return "nothing to do"
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.ACCEPTED).update(
        status=ExportStatus.IN_PROGRESS, started_at=timezone.now()
    )
    user = job.requested_by
    directory = export_directory(job)
    directory.mkdir(parents=True, exist_ok=True)
    progress = dict(job.progress)
    chunk_rows = settings.EXPORT_CHUNK_ROWS
    for type_index in range(progress["type_index"], len(job.types)):
        resource_type = job.types[type_index]
        sources = _sources(job, resource_type)
        for source_index in range(progress["source_index"], len(sources)):
            source = sources[source_index]
            rows = source.rows(user).order_by("pk")
            while True:
                chunk = list(rows.filter(pk__gt=progress["cursor"])[:chunk_rows])
                if not chunk:
                    break
                name = f"{resource_type}.{progress['chunk']:05d}.ndjson"
                temporary = directory / f".{name}.part"
                with temporary.open("w", encoding="utf-8") as output:
                    for row in chunk:
                        output.write(json.dumps(source.to_resource(row), ensure_ascii=False))
                        output.write("\n")
                os.replace(temporary, directory / name)
                progress["cursor"] = chunk[-1].pk
                progress["chunk"] += 1
                counts = progress["counts"]
                counts[resource_type] = counts.get(resource_type, 0) + len(chunk)
                progress["files"].setdefault(resource_type, []).append(
                    {"name": name, "count": len(chunk)}
                )
                _save(job, progress)
            progress.update(source_index=source_index + 1, cursor=0)
            _save(job, progress)
        progress.update(type_index=type_index + 1, source_index=0, cursor=0, chunk=0)
        _save(job, progress)
    return _complete(job)


@transaction.atomic
def _complete(job: ExportJob) -> str:
    now = timezone.now()
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.IN_PROGRESS).update(
        status=ExportStatus.COMPLETED,
        completed_at=now,
        expires_at=now + timedelta(hours=settings.EXPORT_EXPIRY_HOURS),
    )
    if finished:
        audit_record(
            action=AuditAction.EXPORT, actor=job.requested_by, obj=job, detail="bulk export ready"
        )
        return "completed"
    return "already completed"


def export_manifest(job: ExportJob, base: str) -> dict[str, Any]:
    output = [
        {"type": resource_type, "url": f"{base}/$export-file/{job.uuid}/{f['name']}",
         "count": f["count"]}
        for resource_type in job.types
        for f in job.progress.get("files", {}).get(resource_type, [])
    ]  # fmt: skip
    return {
        "transactionTime": (job.started_at or job.requested_at).isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def export_progress_text(job: ExportJob) -> str:
    done = job.progress.get("type_index", 0)
    written = sum(job.progress.get("counts", {}).values())
    return f"{done} of {len(job.types)} resource types, {written} resources written"


def exports_expire() -> int:
    """Deletes the files of exports past their expiry time; returns how many."""
    expired = 0
    for job in ExportJob.objects.filter(
        status=ExportStatus.COMPLETED, expires_at__lte=timezone.now()
    ):
        shutil.rmtree(export_directory(job), ignore_errors=True)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.COMPLETED).update(
            status=ExportStatus.EXPIRED
        )
    return expired


@transaction.atomic
def export_job_cancel(*, job: ExportJob, by: User) -> None:
    """Deletes the job's files and marks it expired (the Bulk Data DELETE on the status URL)."""
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED)
    shutil.rmtree(export_directory(job), ignore_errors=True)
    audit_record(action=AuditAction.DELETE, actor=by, obj=job, detail="bulk export cancelled")
