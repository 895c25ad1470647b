"""Invitations, submission, safety alerts and the dual-clearance state machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from intake import services
from intake.models import (
    Alert,
    ClinicPolicy,
    Decision,
    Finding,
    IntakeForm,
    IntakeStatus,
    Invitation,
    InvitationRequest,
    Patient,
    PatientStatus,
)
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.notifications.models import Message, MessageStatus
from tests.factories import PatientFactory, UserFactory
from tests.intake.answers import complete_answers, submitted_intake

pytestmark = pytest.mark.django_db

VITALS = {
    "blood_pressure_systolic": 122,
    "blood_pressure_diastolic": 78,
    "heart_rate": 70,
    "oxygen_saturation": 98,
    "weight_kg": 70,
    "history_review": "Reviewed.",
    "reason": "",
    "exclude_override_reason": "",
}


# --- invitations ---------------------------------------------------------------------------------


def test_invitation_requests_the_email_and_two_reminders(front_desk: User) -> None:
    patient = PatientFactory()
    invitation = services.invitation_send(patient=patient, by=front_desk)
    messages = Message.objects.filter(refs__invitation=str(invitation.uuid)).order_by("send_at")
    assert [m.template_key for m in messages] == [
        "intake.invitation",
        "intake.invitation_reminder",
        "intake.invitation_reminder",
    ]
    assert all(m.essential and m.channel == "email" for m in messages)
    assert [(m.send_at - invitation.created_at).days for m in messages][1:] == [2, 5]
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_invitation_lifetime_follows_policy(front_desk: User) -> None:
    policy = ClinicPolicy.get()
    policy.invitation_lifetime_days = 3
    policy.save()
    invitation = services.invitation_send(patient=PatientFactory(), by=front_desk)
    assert invitation.expires_at - invitation.created_at == timedelta(days=3)


def test_resending_invalidates_the_earlier_link(front_desk: User) -> None:
    patient = PatientFactory()
    first = services.invitation_send(patient=patient, by=front_desk)
    token = services.invitation_token(first)
    second = services.invitation_send(patient=patient, by=front_desk)
    with pytest.raises(ValidationError, match="newer invitation"):
        services.invitation_from_token(token)
    assert services.invitation_from_token(services.invitation_token(second)) == second
    # The first invitation's queued email and reminders are cancelled.
    assert set(
        Message.objects.filter(refs__invitation=str(first.uuid)).values_list("status", flat=True)
    ) == {MessageStatus.CANCELLED}


def test_accepting_sets_the_password_once(front_desk: User) -> None:
    patient = PatientFactory()
    token = services.invitation_token(services.invitation_send(patient=patient, by=front_desk))
    accepted = services.invitation_accept(token=token, password="a-long-synthetic-pass-1")
    assert accepted.user is not None
    assert accepted.user.role == Role.PATIENT
    assert accepted.user.check_password("a-long-synthetic-pass-1")
    with pytest.raises(ValidationError, match="used already"):
        services.invitation_accept(token=token, password="another-long-pass-2")


def test_a_tampered_or_expired_link_is_refused(front_desk: User) -> None:
    invitation = services.invitation_send(patient=PatientFactory(), by=front_desk)
    token = services.invitation_token(invitation)
    with pytest.raises(ValidationError, match="not valid"):
        services.invitation_from_token(token[:-2] + "xx")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(ValidationError, match="expired"):
        services.invitation_accept(token=token, password="a-long-synthetic-pass-1")
    assert not User.objects.filter(email=invitation.patient.email).exists()


def test_starting_the_intake_cancels_the_reminders(front_desk: User) -> None:
    patient = PatientFactory()
    services.invitation_send(patient=patient, by=front_desk)
    services.intake_start(patient=patient)
    patient.refresh_from_db()
    assert patient.status == PatientStatus.INTAKE_IN_PROGRESS
    assert not Message.objects.filter(
        template_key="intake.invitation_reminder", status=MessageStatus.QUEUED
    ).exists()


def _request(**overrides: object) -> InvitationRequest:
    fields: dict[str, object] = {
        "first_name": "Quinn",
        "last_name": "Sample",
        "date_of_birth": "1990-01-02",
        "email": "quinn@example.org",
        "reason": "Depression that has not lifted.",
        "ip_address": "10.9.9.9",
    }
    return services.invitation_request_create(**{**fields, **overrides})  # type: ignore[arg-type]


def test_invitation_requests_are_rate_limited_per_address() -> None:
    for n in range(services.INVITATION_REQUESTS_PER_HOUR):
        _request(email=f"person{n}@example.org")
    with pytest.raises(ValidationError, match="Too many"):
        _request(email="one-more@example.org")
    assert InvitationRequest.objects.count() == services.INVITATION_REQUESTS_PER_HOUR


def test_a_request_makes_no_account_until_accepted(front_desk: User) -> None:
    request = _request()
    assert not Patient.objects.filter(email="quinn@example.org").exists()
    patient = services.invitation_request_accept(invitation_request=request, by=front_desk)
    assert (patient.legal_name, patient.status) == ("Quinn Sample", PatientStatus.INVITED)
    assert patient.invitations.count() == 1
    assert patient.user is None
    with pytest.raises(ValidationError, match="handled already"):
        services.invitation_request_decline(invitation_request=request, by=front_desk)


# --- submission ----------------------------------------------------------------------------------


def test_submitting_locks_scores_screens_and_updates_the_patient(patient: Patient) -> None:
    intake = submitted_intake(patient, phq9={"item1": 3, "item2": 3, "item3": 3, "item4": 1})
    patient.refresh_from_db()
    assert intake.status == IntakeStatus.SUBMITTED
    assert patient.status == PatientStatus.SCREENED
    assert (patient.mobile, patient.time_zone) == ("555-0100", "America/Chicago")
    phq9 = intake.responses.get(instrument_key="phq9")
    assert (phq9.total, phq9.band, phq9.instrument_version) == (10, "moderate", "2001")
    assert intake.signatures.count() == 3
    assert intake.signatures.first().ip_address == "10.0.0.1"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="submitted already"):
        services.intake_submit(intake=intake, by=patient.user, ip_address=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="submitted"):
        services.intake_step_save(intake=intake, step_key="about", answers={})


def test_an_incomplete_intake_cannot_be_submitted(patient: Patient) -> None:
    intake = services.intake_start(patient=patient)
    answers = complete_answers(patient)
    del answers["gad7"]
    IntakeForm.objects.filter(pk=intake.pk).update(answers=answers)
    with pytest.raises(ValidationError, match="GAD-7"):
        services.intake_submit(intake=intake, by=patient.user, ip_address=None)  # type: ignore[arg-type]
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DRAFT


def test_cssrs_is_required_when_phq9_item9_is_above_zero(patient: Patient) -> None:
    with pytest.raises(ValidationError, match="C-SSRS"):
        submitted_intake(patient, phq9={"item9": 1})


def test_a_safety_finding_alerts_each_care_team_member_urgently(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    intake = submitted_intake(
        patient,
        phq9={"item9": 2},
        cssrs={"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0},
    )
    alerts = Alert.objects.filter(patient=patient)
    assert {alert.finding.code for alert in alerts} == {"phq9_item9", "cssrs_moderate"}
    messages = Message.objects.filter(template_key="intake.safety_alert")
    assert messages.count() == 4  # two alerts, two clinicians
    assert all(m.urgent and m.essential for m in messages)
    assert {m.recipient_user for m in messages} == {prescriber, therapist}
    assert intake.findings.filter(is_safety=True).count() == 2


def test_no_alert_without_a_safety_finding(patient: Patient) -> None:
    submitted_intake(patient, cssrs={"q1": 1}, medical={"arrhythmia": "yes"})
    assert not Alert.objects.exists()
    assert not Message.objects.filter(template_key="intake.safety_alert").exists()


def test_an_unassigned_patients_alert_goes_to_every_clinician(prescriber: User) -> None:
    patient = PatientFactory(user=UserFactory(role=Role.PATIENT))
    submitted_intake(patient, phq9={"item9": 1}, cssrs={"q1": 1, "q2": 0, "q6": 0})
    assert Message.objects.filter(
        template_key="intake.safety_alert", recipient_user=prescriber
    ).exists()


# --- clearance -----------------------------------------------------------------------------------


def _medical(patient: Patient, prescriber: User, decision: str, **extra: str) -> None:
    services.medical_assessment_record(
        patient=patient, by=prescriber, data={**VITALS, "decision": decision, **extra}
    )


def _clinical(patient: Patient, therapist: User, decision: str, **extra: str) -> None:
    services.clinical_assessment_record(
        patient=patient,
        by=therapist,
        data={
            "working_diagnoses": "Major depressive disorder",
            "decision": decision,
            "reason": "",
            "exclude_override_reason": "",
            **extra,
        },
    )


def _status(patient: Patient) -> str:
    patient.refresh_from_db()
    return patient.status


def test_cleared_only_with_both_assessments(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    assert _status(patient) == PatientStatus.SCREENED
    _clinical(patient, therapist, Decision.CLEARED)
    assert _status(patient) == PatientStatus.CLEARED


def test_either_declining_makes_the_patient_not_eligible(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    submitted_intake(patient)
    _clinical(patient, therapist, Decision.CLEARED)
    _medical(patient, prescriber, Decision.NOT_CLEARED, reason="Uncontrolled blood pressure.")
    assert _status(patient) == PatientStatus.NOT_ELIGIBLE
    _medical(patient, prescriber, Decision.CLEARED)
    assert _status(patient) == PatientStatus.CLEARED


def test_needs_more_information_keeps_the_patient_screened(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    submitted_intake(patient)
    _clinical(patient, therapist, Decision.CLEARED)
    _medical(patient, prescriber, Decision.NEEDS_INFORMATION, reason="Need cardiology letter.")
    assert _status(patient) == PatientStatus.SCREENED


def test_a_decision_other_than_cleared_needs_a_reason(patient: Patient, prescriber: User) -> None:
    submitted_intake(patient)
    with pytest.raises(ValidationError, match="reason"):
        _medical(patient, prescriber, Decision.NOT_CLEARED)


def test_clearing_over_an_exclusion_needs_a_written_reason(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    intake = submitted_intake(patient, medical={"aneurysm": "yes"})
    with pytest.raises(ValidationError, match="exclusion"):
        _medical(patient, prescriber, Decision.CLEARED)
    _medical(patient, prescriber, Decision.CLEARED, exclude_override_reason="Repaired in 2010.")
    finding = Finding.objects.get(intake=intake, code="absolute_aneurysm")
    assert (finding.overridden_by, finding.override_reason) == (prescriber, "Repaired in 2010.")


def test_only_a_prescriber_records_the_medical_assessment(
    patient: Patient, therapist: User
) -> None:
    submitted_intake(patient)
    with pytest.raises(ValidationError, match="prescriber"):
        _medical(patient, therapist, Decision.CLEARED)


def test_an_assessment_needs_a_submitted_intake(patient: Patient, prescriber: User) -> None:
    with pytest.raises(ValidationError, match="not submitted"):
        _medical(patient, prescriber, Decision.CLEARED)


def test_a_staff_correction_makes_a_new_version_and_withdraws_clearance(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    intake = submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, therapist, Decision.CLEARED)
    assert _status(patient) == PatientStatus.CLEARED
    corrected = services.intake_correct(
        intake=intake,
        step_key="medical",
        answers={**intake.answers["medical"], "seizures": "yes"},
        reason="Patient phoned: one seizure in 2015.",
        by=prescriber,
    )
    intake.refresh_from_db()
    assert (intake.status, corrected.version, corrected.status) == (
        IntakeStatus.SUPERSEDED,
        2,
        IntakeStatus.SUBMITTED,
    )
    assert intake.answers["medical"]["seizures"] == "no"  # the old version is kept as it was
    assert corrected.findings.filter(code="seizures").exists()
    assert _status(patient) == PatientStatus.SCREENED
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, therapist, Decision.CLEARED)
    assert _status(patient) == PatientStatus.CLEARED


def test_a_triage_assessment_joins_the_care_team(prescriber: User) -> None:
    patient = PatientFactory(user=UserFactory(role=Role.PATIENT))
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    patient.refresh_from_db()
    assert patient.prescriber == prescriber
