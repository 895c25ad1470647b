"""The REMS in the patient chart: an "enrolled / not enrolled" badge for esketamine patients,
and a landing panel of the forms' deadlines for prescribers and clinic admins."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import ALL_STAFF, Badge, chart_badge_register
from sessions.models import Course, CourseStatus, Drug
from sessions.rems.models import RemsEnrolment, RemsFormState
from sessions.rems.selectors import rems_form_rows


def _enrolment_badges(patient: Any, user: User) -> list[Badge]:
    """One query: the REMS patient ID, and whether an esketamine course is planned or running."""
    found = (
        type(patient)
        .objects.filter(pk=patient.pk)
        .annotate(
            rems_id=Subquery(
                RemsEnrolment.objects.filter(patient=OuterRef("pk")).values("rems_patient_id")[:1]
            ),
            esketamine=Exists(
                Course.objects.filter(
                    patient=OuterRef("pk"),
                    protocol__drug=Drug.ESKETAMINE,
                    status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE],
                )
            ),
        )
        .values("rems_id", "esketamine")
        .first()
    )
    if found is None:
        return []
    url = ""
    if user.role in (Role.PRESCRIBER, Role.CLINIC_ADMIN):
        url = reverse("sessions:rems_enrolment", args=[patient.uuid])
    if found["rems_id"]:
        return [
            Badge(
                "REMS enrolled",
                tone="success",
                url=url,
                detail=f"REMS patient ID {found['rems_id']}",
            )
        ]
    if not found["esketamine"]:
        return []
    return [
        Badge(
            "REMS not enrolled",
            tone="warning",
            url=url,
            detail="Esketamine needs the patient's REMS enrolment before the first dose.",
        )
    ]


def _forms_panel(request: AuthenticatedRequest) -> dict[str, Any]:
    rows = rems_form_rows(user=request.user)
    return {
        "counts": [
            (state, len(rows[state.value]))
            for state in (RemsFormState.OVERDUE, RemsFormState.DUE_SOON, RemsFormState.PENDING)
        ],
    }


def register() -> None:
    chart_badge_register("sessions.rems_enrolment", ALL_STAFF, _enrolment_badges)
    panel_register(
        Panel(
            key="sessions.rems_forms",
            title="Esketamine REMS forms",
            template="kap_sessions/panels/rems_forms.html",
            roles=frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
            context=_forms_panel,
            order=15,
        )
    )
