from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from intake.selectors import patient_get, patients_visible_to
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.pagination import paginate


@permission_required("intake.view_patient")
def patient_list(request: AuthenticatedRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    patients = patients_visible_to(user=request.user, search=search)
    return render(
        request, "intake/patient_list.html", {"search": search, **paginate(request, patients)}
    )


@login_required
def patient_detail(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """Demographics and care team; open to the patient themself and to whoever may see them."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="patient record")
    return render(request, "intake/patient_detail.html", {"patient": patient})
