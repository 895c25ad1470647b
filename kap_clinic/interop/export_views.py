"""FHIR Bulk Data endpoints: $export kick-off (system, Patient, Group), status, file download.

Clinic admins only (a whole-clinic copy); the status and the files only for the admin who asked.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from rest_framework.request import Request
from rest_framework.response import Response

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.export import (
    ExportRequestError,
    export_directory,
    export_job_create,
    export_manifest,
    export_progress_text,
)
from kap_clinic.interop.models import ExportJob, ExportLevel, ExportStatus
from kap_clinic.interop.views import FhirView, _base_url, _FhirError

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
# Groups this server knows: the whole clinic's patients.
GROUPS = {"clinic"}


def _admin(request: Request) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.role != Role.CLINIC_ADMIN:
        raise _FhirError(403, "forbidden", "Only clinic admins export records in bulk.")
    return user


class ExportKickOffApi(FhirView):
    level = ExportLevel.SYSTEM

    def get(self, request: Request, group_id: str = "") -> Response:
        user = _admin(request)
        if request.headers.get("Prefer", "").strip() != "respond-async":
            raise _FhirError(400, "invalid", "Send the header Prefer: respond-async.")
        if self.level == ExportLevel.GROUP and group_id not in GROUPS:
            raise _FhirError(404, "not-found", f"Group/{group_id} is not known.")
        output_format = request.query_params.get("_outputFormat")
        if output_format and output_format not in NDJSON_FORMATS:
            raise _FhirError(400, "not-supported", "Only NDJSON output is supported.")
        wanted = [t for t in request.query_params.get("_type", "").split(",") if t]
        try:
            job = export_job_create(
                by=user,
                level=self.level,
                request_url=request.build_absolute_uri(),
                types=wanted,
                group_id=group_id,
            )
        except ExportRequestError as error:
            raise _FhirError(400, "not-supported", str(error)) from error
        response = Response(status=202)
        response["Content-Location"] = f"{_base_url(request)}/$export-status/{job.uuid}"
        return response


class PatientExportKickOffApi(ExportKickOffApi):
    level = ExportLevel.PATIENT


class GroupExportKickOffApi(ExportKickOffApi):
    level = ExportLevel.GROUP


def _own_job(request: Request, job_uuid: Any) -> ExportJob:
    user = _admin(request)
    job = ExportJob.objects.filter(uuid=job_uuid, requested_by=user).first()
    if job is None:
        raise _FhirError(404, "not-found", "There is no such export.")
    return job


class ExportStatusApi(FhirView):
    def get(self, request: Request, job_uuid: Any) -> Response:
        job = _own_job(request, job_uuid)
        if job.status in (ExportStatus.ACCEPTED, ExportStatus.IN_PROGRESS):
            response = Response(status=202)
            response["X-Progress"] = export_progress_text(job)
            response["Retry-After"] = "5"
            return response
        if job.status == ExportStatus.EXPIRED:
            raise _FhirError(404, "not-found", "This export's files have expired.")
        if job.status == ExportStatus.FAILED:
            raise _FhirError(500, "exception", job.error or "The export failed.")
        response = Response(export_manifest(job, _base_url(request)))
        response["Expires"] = job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")  # type: ignore[union-attr]
        return response

    def delete(self, request: Request, job_uuid: Any) -> Response:
        job = _own_job(request, job_uuid)
        from kap_clinic.interop.export import export_job_cancel

        export_job_cancel(job=job, by=request.user)  # type: ignore[arg-type]
        return Response(status=202)


class ExportFileApi(FhirView):
    def get(self, request: Request, job_uuid: Any, name: str) -> Any:
        job = _own_job(request, job_uuid)
        names = {f["name"] for files in job.progress.get("files", {}).values() for f in files}
        if job.status != ExportStatus.COMPLETED or name not in names:
            raise _FhirError(404, "not-found", "There is no such file.")
        audit_record(
            action=AuditAction.EXPORT,
            request=request,
            obj=job,
            detail=f"bulk export file {name}",
        )
        return FileResponse(
            (export_directory(job) / name).open("rb"), content_type="application/fhir+ndjson"
        )

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, FileResponse):
            return response
        return super().finalize_response(request, response, *args, **kwargs)
