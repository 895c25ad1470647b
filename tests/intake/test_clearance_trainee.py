"""Issue #19, Scope: a trainee cannot clear a patient alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from intake import services
from intake.models import ClinicalAssessment, Decision, Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from kap_clinic.clinic.models import StaffProfile, SupervisionStatus
from tests.factories import UserFactory
from tests.intake.answers import submitted_intake
from tests.intake.test_services import _clinical, _medical, _status

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(therapist: User) -> User:
    supervisor = UserFactory(role=Role.THERAPIST)
    StaffProfile.objects.create(user=therapist, supervision_status=SupervisionStatus.TRAINEE)
    therapist.supervisor = supervisor
    therapist.save(update_fields=["supervisor"])
    return supervisor


def test_a_trainees_clearance_counts_only_after_the_supervisor_cosigns(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, therapist, Decision.CLEARED)
    assert _status(patient) == PatientStatus.SCREENED
    assessment = ClinicalAssessment.objects.get(patient=patient)
    with pytest.raises(ValidationError, match="Only the assessing trainee's supervisor"):
        services.assessment_cosign(assessment=assessment, by=prescriber)
    assert _status(patient) == PatientStatus.SCREENED
    services.assessment_cosign(assessment=assessment, by=supervisor)
    assert _status(patient) == PatientStatus.CLEARED
    assert AuditEvent.objects.filter(
        object_id=str(assessment.uuid), actor=supervisor, detail="clearance co-signed"
    ).exists()


def test_a_trainee_without_a_supervisor_cannot_clear_and_nothing_is_saved(
    patient: Patient, therapist: User
) -> None:
    StaffProfile.objects.create(user=therapist, supervision_status=SupervisionStatus.TRAINEE)
    submitted_intake(patient)
    with pytest.raises(ValidationError, match="cannot clear a patient alone"):
        _clinical(patient, therapist, Decision.CLEARED)
    assert not ClinicalAssessment.objects.exists()


def test_a_trainees_not_cleared_decision_takes_effect_at_once(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, therapist, Decision.NOT_CLEARED, reason="Active psychosis.")
    assert _status(patient) == PatientStatus.NOT_ELIGIBLE


@override_settings(SUPERVISION_TRAINEE_MAY_CLEAR_ALONE=True)
def test_the_clinic_policy_can_let_trainees_clear_alone(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, therapist, Decision.CLEARED)
    assert _status(patient) == PatientStatus.CLEARED
