"""Reads of patients and their intake, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from intake.models import (
    Alert,
    ClinicalAssessment,
    Finding,
    InstrumentResponse,
    IntakeForm,
    IntakeStatus,
    MedicalAssessment,
    Patient,
    PatientStatus,
)
from intake.search import patients_search
from kap_clinic.accounts.access import care_team_q
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role

# Submitted intakes waiting for a care team: clinicians may open them to triage.
TRIAGE_STATUSES = (PatientStatus.SUBMITTED, PatientStatus.SCREENED)


def triage_q(*, user: User, patient_path: str = "") -> Q:
    """Patients with no clinician of ``user``'s role yet, whose intake is submitted."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.PRESCRIBER:
        slot = "prescriber"
    elif user.role == Role.THERAPIST:
        slot = "therapist"
    else:
        return Q(pk__in=[])
    return Q(
        **{f"{patient_path}{slot}__isnull": True, f"{patient_path}status__in": TRIAGE_STATUSES}
    )


def intake_visible_q(*, user: User, patient_path: str = "") -> Q:
    care_team = care_team_q(user=user, patient_path=patient_path)
    if user.is_authenticated and user.is_active and user.is_clinician:
        # Combined only for clinicians: an empty Q() (everyone) would vanish in an OR.
        return care_team | triage_q(user=user, patient_path=patient_path)
    return care_team


def patients_visible_to(*, user: User, search: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.filter(intake_visible_q(user=user)).select_related(
        "prescriber", "therapist"
    )
    if search.strip():
        patients = patients_search(patients, search)
    return patients


def patient_get(*, user: User, patient_uuid: object) -> Patient:
    """The patient with this UUID if ``user`` may see them; 404 otherwise."""
    return get_object_or_404(
        Patient.objects.filter(intake_visible_q(user=user)).select_related(
            "prescriber", "therapist", "user"
        ),
        uuid=patient_uuid,
    )


def can_see_clinical(user: User) -> bool:
    return bool(user.has_perm("intake.view_clinical_record"))


def review_queue(*, user: User, status: str = "", search: str = "") -> QuerySet[Patient]:
    """Patients with an intake (any state), for the staff review queue."""
    patients = patients_visible_to(user=user, search=search).exclude(status=PatientStatus.INVITED)
    if status:
        patients = patients.filter(status=status)
    return patients.order_by("status", "legal_last_name", "legal_first_name")


def review_queue_counts(*, user: User) -> dict[str, int]:
    patients = patients_visible_to(user=user)
    return dict(patients.order_by().values_list("status").annotate(total=Count("id")))


def intake_for_review(*, user: User, patient: Patient) -> IntakeForm:
    """The current intake of a visible patient, with what the summary shows; 404 if none."""
    if not can_see_clinical(user) and user.role != Role.PATIENT:
        raise Http404
    intake = (
        IntakeForm.objects.filter(patient=patient)
        .exclude(status=IntakeStatus.SUPERSEDED)
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("overridden_by")),
            Prefetch("responses", queryset=InstrumentResponse.objects.order_by("id")),
            "signatures__document",
        )
        .first()
    )
    if intake is None:
        raise Http404
    return intake


def intake_versions(*, patient: Patient) -> QuerySet[IntakeForm]:
    return IntakeForm.objects.filter(patient=patient).order_by("-version")


def assessments_for(
    *, patient: Patient
) -> tuple[QuerySet[MedicalAssessment], QuerySet[ClinicalAssessment]]:
    return (
        MedicalAssessment.objects.filter(patient=patient).select_related("assessed_by", "intake"),
        ClinicalAssessment.objects.filter(patient=patient).select_related("assessed_by", "intake"),
    )


def alerts_open_for(*, user: User) -> QuerySet[Alert]:
    """Unacknowledged safety alerts of the patients this clinician may see."""
    return (
        Alert.objects.filter(acknowledged_at__isnull=True)
        .filter(intake_visible_q(user=user, patient_path="patient__"))
        .select_related("patient")
    )


def patients_outside_care_team(*, user: User, search: str, limit: int = 10) -> list[Patient]:
    """For a clinician's search: matching patients they cannot see, for emergency access only.

    Needs two or more letters, and shows at most ``limit`` (name and date of birth on the page).
    """
    words = search.split()[:4]
    if not user.is_clinician or not words or len(search.strip()) < 2:
        return []
    patients = Patient.objects.exclude(intake_visible_q(user=user))
    for word in words:
        patients = patients.filter(
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return list(patients.order_by("legal_last_name", "legal_first_name")[:limit])
