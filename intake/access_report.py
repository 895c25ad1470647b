"""Who accessed a patient's record (an accounting of disclosures): every audited read, change,
print and export of the patient's records, by whom and when, printable for the patient."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render

from intake.selectors import patient_get
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.selectors import audit_events_filtered
from kap_clinic.audit.services import audit_record
from kap_clinic.audit.views import audit_rows
from kap_clinic.pagination import paginate

REPORT_PAGE_SIZE = 200


@role_required(Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.THERAPIST, Role.PRESCRIBER)
def patient_access_report(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """Staff produce it on the patient's request: staff who may see the patient only."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    events = audit_events_filtered(patient_uuid=str(patient.uuid))
    context = paginate(request, events, per_page=REPORT_PAGE_SIZE)
    context["page"].object_list = audit_rows(context["page"].object_list)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="access report")
    return render(request, "intake/patient_access_report.html", {"patient": patient, **context})
