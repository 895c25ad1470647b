"""Reads of patients, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from intake.models import Patient
from kap_clinic.accounts.access import get_visible_or_404, visible_to
from kap_clinic.accounts.models import User


def patients_visible_to(*, user: User, search: str = "") -> QuerySet[Patient]:
    patients = visible_to(Patient.objects.all(), user=user).select_related(
        "prescriber", "therapist"
    )
    for word in search.split()[:4]:
        patients = patients.filter(
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return patients


def patient_get(*, user: User, patient_uuid: object) -> Patient:
    """The patient with this UUID if ``user`` may see them; 404 otherwise."""
    return get_visible_or_404(
        Patient.objects.select_related("prescriber", "therapist", "user"),
        user=user,
        uuid=patient_uuid,
    )
