"""Pages of retention: deactivate a record; request, confirm or cancel a two-person purge."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from intake import retention
from intake.models import Patient, PatientPurge, PatientPurgeStatus
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role


def _error(request: AuthenticatedRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@require_POST
@role_required(Role.CLINIC_ADMIN)
def patient_deactivate(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, uuid=patient_uuid)
    try:
        retention.patient_deactivate(patient=patient, by=request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, "The record is deactivated and kept.")
    return redirect("intake:patient_detail", patient_uuid=patient.uuid)


@role_required(Role.CLINIC_ADMIN)
def retention_overview(request: AuthenticatedRequest) -> HttpResponse:
    past = list(retention.patients_past_retention()[:200])
    waiting = list(
        PatientPurge.objects.filter(status=PatientPurgeStatus.REQUESTED).select_related(
            "requested_by"
        )
    )
    names = {
        patient.uuid: patient
        for patient in Patient.objects.filter(uuid__in=[p.patient_uuid for p in waiting])
    }
    waiting_uuids = {purge.patient_uuid for purge in waiting}
    return render(
        request,
        "intake/retention.html",
        {
            "years": settings.RECORD_RETENTION_YEARS,
            "past": [p for p in past if p.uuid not in waiting_uuids],
            "waiting": [(purge, names.get(purge.patient_uuid)) for purge in waiting],
        },
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def purge_request(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, uuid=patient_uuid)
    try:
        retention.patient_purge_request(patient=patient, by=request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, "Purge requested: a second clinic admin must confirm it.")
    return redirect("intake:retention")


@require_POST
@role_required(Role.CLINIC_ADMIN)
def purge_decide(request: AuthenticatedRequest, purge_uuid: UUID, decision: str) -> HttpResponse:
    purge = get_object_or_404(PatientPurge, uuid=purge_uuid)
    try:
        if decision == "confirm":
            retention.patient_purge_confirm(purge=purge, by=request.user)
            messages.success(request, "The record was purged; the audit record keeps its trace.")
        elif decision == "cancel":
            retention.patient_purge_cancel(purge=purge, by=request.user)
            messages.success(request, "Purge cancelled.")
        else:
            return HttpResponse(status=404)
    except ValidationError as error:
        _error(request, error)
    return redirect("intake:retention")
