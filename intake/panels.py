"""Landing panels of the intake app."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from intake.models import Patient, PatientStatus
from intake.selectors import alerts_open_for, patients_visible_to
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import patients_with_status

RECENT_PATIENTS = 10


def status_counts(patients: QuerySet[Patient]) -> dict[str, int]:
    """How many of ``patients`` are at each status, derived from the record (one query)."""
    annotated = patients_with_status(patients.order_by())
    return dict(annotated.values_list("lifecycle").annotate(total=Count("id")))


def _patients_by_status(request: AuthenticatedRequest) -> dict[str, Any]:
    patients = patients_visible_to(user=request.user)
    counts = status_counts(patients)
    return {
        "rows": [(status, counts.get(status.value, 0)) for status in PatientStatus],
        "recent": patients_with_status(patients.order_by("-created_at"))[:RECENT_PATIENTS],
    }


def _my_record(request: AuthenticatedRequest) -> dict[str, Any]:
    patient = patients_with_status(
        Patient.objects.select_related("prescriber", "therapist").filter(user=request.user)
    ).first()
    return {"patient": patient, "intake_open": patient is not None and patient.status in OPEN}


OPEN = (PatientStatus.INVITED, PatientStatus.INTAKE_IN_PROGRESS)


def own_patient_record(request: AuthenticatedRequest) -> Patient | None:
    """The signed-in patient's record; Django caches it on the user for the other panels."""
    try:
        return request.user.patient_record
    except Patient.DoesNotExist:
        return None


def _my_details(request: AuthenticatedRequest) -> dict[str, Any]:
    return {"patient": own_patient_record(request)}


def _safety_alerts(request: AuthenticatedRequest) -> dict[str, Any]:
    return {"alerts": alerts_open_for(user=request.user)[:RECENT_PATIENTS]}


panel_register(
    Panel(
        key="intake.patients_by_status",
        title="Patients by status",
        template="intake/panels/patients_by_status.html",
        roles=frozenset({Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN}),
        context=_patients_by_status,
        order=20,
    )
)
panel_register(
    Panel(
        key="intake.my_record",
        title="Your care",
        template="intake/panels/my_record.html",
        roles=frozenset({Role.PATIENT}),
        context=_my_record,
        order=10,
    )
)
panel_register(
    Panel(
        key="intake.my_details",
        title="My details",
        template="intake/panels/my_details.html",
        roles=frozenset({Role.PATIENT}),
        context=_my_details,
        order=30,
    )
)
panel_register(
    Panel(
        key="intake.safety_alerts",
        title="Safety alerts",
        template="intake/panels/safety_alerts.html",
        roles=frozenset({Role.THERAPIST, Role.PRESCRIBER}),
        context=_safety_alerts,
        order=5,
    )
)
