"""A patient's own record: the readable page, the FHIR bundle download, copies sent to another
provider; and the staff list of those requests with their 30-day due dates."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.everything import bundle_json, patient_bundle, patient_resources
from kap_clinic.interop.export import export_job_create, export_progress_text
from kap_clinic.interop.forms import RecordRequestForm
from kap_clinic.interop.models import ExportJob, ExportLevel, RecordRequest, RecordRequestStatus
from kap_clinic.interop.readable import readable_record
from kap_clinic.interop.registry import fhir_sources
from kap_clinic.interop.services import record_request_create, record_request_mark_sent


def own_patient_id(user: User) -> str:
    """The FHIR id of the signed-in patient's own record (404 when there is none)."""
    for source in fhir_sources("Patient"):
        row = source.rows(user).first()
        if row is not None:
            return str(source.to_resource(row)["id"])
    raise Http404


@role_required(Role.PATIENT)
def my_record(request: AuthenticatedRequest) -> HttpResponse:
    patient_id = own_patient_id(request.user)
    resources = list(patient_resources(user=request.user, patient_id=patient_id))
    patient, sections = readable_record(resources)
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type="fhir.Patient",
        object_id=patient_id,
        detail="own record page",
    )
    return render(
        request,
        "interop/my_record.html",
        {
            "patient": patient,
            "sections": sections,
            "printed_at": timezone.now(),
            "requests": RecordRequest.objects.filter(requested_by=request.user),
        },
    )


@role_required(Role.PATIENT)
def my_record_download(request: AuthenticatedRequest) -> HttpResponse:
    patient_id = own_patient_id(request.user)
    bundle = patient_bundle(
        user=request.user,
        patient_id=patient_id,
        base=request.build_absolute_uri("/fhir/").rstrip("/"),
    )
    if bundle is None:
        raise Http404
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        object_type="fhir.Patient",
        object_id=patient_id,
        detail="own record downloaded (FHIR bundle)",
    )
    response = HttpResponse(bundle_json(bundle), content_type="application/fhir+json")
    response["Content-Disposition"] = 'attachment; filename="my-health-record.fhir.json"'
    return response


@role_required(Role.PATIENT)
def record_request_new(request: AuthenticatedRequest) -> HttpResponse:
    patient_id = own_patient_id(request.user)
    form = RecordRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = record_request_create(
            requested_by=request.user,
            patient_fhir_id=patient_id,
            recipient_name=form.cleaned_data["recipient_name"],
            recipient_contact=form.cleaned_data["recipient_contact"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            f"Your request is with the clinic. It will be sent by {created.due_on:%d %B %Y}.",
        )
        return redirect("records:my_record")
    return render(request, "interop/record_request_form.html", {"form": form})


@role_required(Role.FRONT_DESK, Role.CLINIC_ADMIN)
def record_request_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", RecordRequestStatus.OPEN)
    if status not in RecordRequestStatus.values:
        status = RecordRequestStatus.OPEN
    requests = RecordRequest.objects.filter(status=status).select_related("requested_by", "sent_by")
    return render(
        request,
        "interop/record_request_list.html",
        {"requests": requests, "status": status, "today": timezone.localdate()},
    )


@require_POST
@role_required(Role.FRONT_DESK, Role.CLINIC_ADMIN)
def record_request_sent(request: AuthenticatedRequest, request_uuid: str) -> HttpResponse:
    record_request = get_object_or_404(RecordRequest, uuid=request_uuid)
    record_request_mark_sent(request=record_request, by=request.user)
    messages.success(request, "Marked as sent.")
    return redirect("records:request_list")


@role_required(Role.CLINIC_ADMIN)
def export_list(request: AuthenticatedRequest) -> HttpResponse:
    """The admin's whole-clinic exports: start one, follow its progress, download its files."""
    if request.method == "POST":
        export_job_create(
            by=request.user,
            level=ExportLevel.SYSTEM,
            request_url=request.build_absolute_uri("/fhir/$export"),
        )
        messages.success(request, "The export has started; this page shows its progress.")
        return redirect("records:export_list")
    jobs = [
        {
            "job": job,
            "progress": export_progress_text(job),
            "files": [
                {"type": t, **f}
                for t in job.types
                for f in job.progress.get("files", {}).get(t, [])
            ],
        }
        for job in ExportJob.objects.filter(requested_by=request.user)[:20]
    ]
    return render(request, "interop/export_list.html", {"jobs": jobs})
