"""The clinician's daily digest: patients waiting for clearance (a section of the digest)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.notifications.digest import DigestSection, digest_section_register
from kap_clinic.notifications.initials import initials


def pending_clearances(user: User, day: date) -> list[str]:
    """The care team's screened patients, waiting for the medical and clinical assessments."""
    patients = Patient.objects.filter(
        Q(prescriber=user) | Q(therapist=user), status=PatientStatus.SCREENED
    ).order_by("legal_last_name", "legal_first_name")
    return [
        f"{initials(patient.legal_first_name, patient.legal_last_name)}: intake screened, "
        "waiting for clearance"
        for patient in patients
    ]


def register() -> None:
    digest_section_register(
        DigestSection(
            key="intake.pending_clearances",
            title="Pending clearances",
            items=pending_clearances,
            order=20,
        )
    )
