"""The patient chart's pages: the overview (timeline) and each registered section.

The sections come from :mod:`kap_clinic.chart`, registered by each app; these views only find the
patient (404 when not visible), check the section's roles, audit the read and render.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from intake.models import Patient, PatientStatus
from intake.selectors import patient_get
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.chart import (
    ALL_STAFF,
    ChartSection,
    chart_badges,
    chart_section,
    chart_sections_for,
    chart_timeline,
    patients_with_status,
)
from kap_clinic.pdf import pdf_response

OVERVIEW = "overview"


def chart_header_context(request: AuthenticatedRequest, patient: Patient) -> dict[str, Any]:
    """What every chart page shows above its section: the header and the section tabs."""
    return {
        "patient": patient,
        "patient_status": PatientStatus(
            patients_with_status(Patient.objects.filter(pk=patient.pk))
            .values_list("lifecycle", flat=True)
            .first()
            or patient.status
        ),
        "age": patient.age_on(timezone.localdate()),
        "badges": chart_badges(patient=patient, user=request.user),
        "chart_sections": chart_sections_for(patient=patient, user=request.user),
        "has_overview": request.user.role in ALL_STAFF,
        "clinic_time_zone_name": settings.TIME_ZONE.replace("_", " "),
    }


def _section_page(
    request: AuthenticatedRequest, patient: Patient, section: ChartSection
) -> HttpResponse:
    audit_record(
        action=AuditAction.READ, request=request, obj=patient, detail=f"chart: {section.key}"
    )
    return render(
        request,
        "intake/chart_section.html",
        {
            **section.context(request, patient, request.user),
            **chart_header_context(request, patient),
            "section": section,
            "current": section.key,
        },
    )


@login_required
def chart_overview(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """The chart's first page: staff see the timeline; a patient sees their own details."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    if request.user.role not in ALL_STAFF:
        sections = chart_sections_for(patient=patient, user=request.user)
        if not sections:
            raise Http404
        return _section_page(request, patient, sections[0])
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="chart: overview")
    return render(
        request,
        "intake/chart_overview.html",
        {
            **chart_header_context(request, patient),
            "events": chart_timeline(patient=patient, user=request.user),
            "current": OVERVIEW,
        },
    )


@login_required
def chart_summary_pdf(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """The chart summary as a PDF: header, alerts and the timeline the reader may see."""
    if request.user.role not in ALL_STAFF:
        raise PermissionDenied
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    audit_record(
        action=AuditAction.EXPORT, request=request, obj=patient, detail="chart summary PDF"
    )
    return pdf_response(
        request,
        "intake/pdf/chart_summary.html",
        {
            **chart_header_context(request, patient),
            "events": chart_timeline(patient=patient, user=request.user),
        },
        filename=f"chart-{patient.mrn}.pdf",
    )


@login_required
def chart_section_view(request: AuthenticatedRequest, patient_uuid: UUID, key: str) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    section = chart_section(key)
    if section is None:
        raise Http404
    if not section.is_open_to(patient, request.user):
        raise PermissionDenied
    return _section_page(request, patient, section)
