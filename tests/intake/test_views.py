"""Staff pages: access matrix, review queue, summary, assessments, invitations, policy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from intake import services
from intake.models import (
    Alert,
    ClinicPolicy,
    InvitationRequest,
    MedicalAssessment,
    Patient,
    PatientStatus,
)
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from kap_clinic.templatetags.clinic_time import when
from tests.factories import PatientFactory, UserFactory
from tests.intake.answers import submitted_intake

pytestmark = pytest.mark.django_db


def summary_url(patient: Patient) -> str:
    return reverse("intake:intake_summary", kwargs={"patient_uuid": patient.uuid})


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("prescriber", 200),
        ("therapist", 200),
        ("clinic_admin", 200),
        ("front_desk", 403),  # demographics and status only
        ("outsider", 404),  # a clinician of another care team
        ("patient_user", 403),
    ],
)
def test_intake_summary_access_matrix(
    request: pytest.FixtureRequest, client: Client, patient: Patient, who: str, status: int
) -> None:
    intake = submitted_intake(patient, medical={"arrhythmia": "yes"})
    client.force_login(request.getfixturevalue(who))
    response = client.get(summary_url(patient))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Irregular heartbeat reported." in page
        assert "Do you have an irregular heartbeat (arrhythmia)?" in page  # the evidence
        assert AuditEvent.objects.filter(
            action=AuditAction.READ, object_id=str(intake.uuid)
        ).exists()


def test_another_patient_cannot_read_this_patients_intake(
    client: Client, patient: Patient, other_patient: Patient
) -> None:
    submitted_intake(patient)
    assert other_patient.user is not None
    client.force_login(other_patient.user)
    assert client.get(summary_url(patient)).status_code == 403
    detail = reverse("intake:patient_detail", kwargs={"patient_uuid": patient.uuid})
    assert client.get(detail).status_code == 404


def test_front_desk_sees_status_but_no_answers(
    client: Client, patient: Patient, front_desk: User
) -> None:
    submitted_intake(patient, medical={"arrhythmia": "yes"})
    client.force_login(front_desk)
    page = client.get(
        reverse("intake:patient_detail", kwargs={"patient_uuid": patient.uuid})
    ).content.decode()
    assert "Screened" in page
    assert "arrhythmia" not in page
    assert "Intake summary" not in page
    assert client.get(reverse("intake:review_queue")).status_code == 403


def test_clinicians_see_new_unassigned_intakes_for_triage(client: Client, outsider: User) -> None:
    unassigned = PatientFactory(user=UserFactory(role=Role.PATIENT))
    submitted_intake(unassigned)
    client.force_login(outsider)
    assert client.get(summary_url(unassigned)).status_code == 200
    queue = client.get(reverse("intake:review_queue")).content.decode()
    assert unassigned.legal_last_name in queue


def test_an_invited_unassigned_patient_is_not_open_to_triage(
    client: Client, outsider: User
) -> None:
    invited = PatientFactory(status=PatientStatus.INVITED)
    client.force_login(outsider)
    detail = reverse("intake:patient_detail", kwargs={"patient_uuid": invited.uuid})
    assert client.get(detail).status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_the_review_queue_keeps_its_query_count(
    client: Client,
    therapist: User,
    prescriber: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for n in range(rows):
        PatientFactory(
            status=PatientStatus.SCREENED if n % 2 else PatientStatus.SUBMITTED,
            therapist=therapist,
            prescriber=prescriber,
        )
    client.force_login(therapist)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("intake:review_queue"))
    assert response.status_code == 200
    assert response.context["counts"]


def test_the_review_queue_filters_by_state_and_searches_by_name(
    client: Client, therapist: User
) -> None:
    PatientFactory(legal_last_name="Alderton", status=PatientStatus.SCREENED, therapist=therapist)
    PatientFactory(legal_last_name="Brightwater", status=PatientStatus.CLEARED, therapist=therapist)
    client.force_login(therapist)
    page = client.get(reverse("intake:review_queue"), {"status": "cleared"}).content.decode()
    assert "Brightwater" in page
    assert "Alderton" not in page
    page = client.get(reverse("intake:review_queue"), {"q": "alder"}).content.decode()
    assert "Alderton" in page
    assert "Brightwater" not in page


def test_a_prescriber_and_a_therapist_clear_the_patient_through_the_pages(
    client: Client, patient: Patient, prescriber: User, therapist: User
) -> None:
    submitted_intake(patient)
    client.force_login(prescriber)
    url = reverse("intake:medical_assessment_create", kwargs={"patient_uuid": patient.uuid})
    response = client.post(
        url,
        {
            "blood_pressure_systolic": "124",
            "blood_pressure_diastolic": "80",
            "heart_rate": "72",
            "oxygen_saturation": "98",
            "weight_kg": "70.5",
            "history_review": "Reviewed with patient.",
            "decision": "cleared",
        },
    )
    assert response.status_code == 302
    client.force_login(therapist)
    url = reverse("intake:clinical_assessment_create", kwargs={"patient_uuid": patient.uuid})
    response = client.post(url, {"working_diagnoses": "MDD", "decision": "cleared"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == PatientStatus.CLEARED


def test_a_bad_assessment_re_renders_with_a_message(
    client: Client, patient: Patient, prescriber: User
) -> None:
    submitted_intake(patient, medical={"aneurysm": "yes"})
    client.force_login(prescriber)
    url = reverse("intake:medical_assessment_create", kwargs={"patient_uuid": patient.uuid})
    data = {
        "blood_pressure_systolic": "124",
        "blood_pressure_diastolic": "80",
        "heart_rate": "72",
        "oxygen_saturation": "98",
        "weight_kg": "70.5",
        "history_review": "Reviewed.",
        "decision": "cleared",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "clearing needs a written reason" in response.content.decode()
    assert client.post(url, data | {"heart_rate": "900"}).status_code == 200
    assert not MedicalAssessment.objects.exists()


def test_the_therapist_cannot_record_the_medical_assessment(
    client: Client, patient: Patient, therapist: User
) -> None:
    submitted_intake(patient)
    client.force_login(therapist)
    url = reverse("intake:medical_assessment_create", kwargs={"patient_uuid": patient.uuid})
    assert client.get(url).status_code == 403


def test_a_staff_correction_through_the_page_makes_a_new_version(
    client: Client, patient: Patient, therapist: User
) -> None:
    intake = submitted_intake(patient)
    client.force_login(therapist)
    url = reverse("intake:intake_correct", kwargs={"patient_uuid": patient.uuid, "step": "goals"})
    response = client.post(
        url, {"intentions": "Corrected goal.", "correction_reason": "Patient asked by phone."}
    )
    assert response.status_code == 302
    assert patient.intakes.get(version=2).answers["goals"]["intentions"] == "Corrected goal."
    intake.refresh_from_db()
    assert intake.answers["goals"]["intentions"] != "Corrected goal."


def test_front_desk_invites_and_resends(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    response = client.post(
        reverse("intake:patient_invite"),
        {
            "legal_first_name": "Rowan",
            "legal_last_name": "Testcase",
            "date_of_birth": "1980-02-03",
            "email": "rowan@example.org",
        },
    )
    patient = Patient.objects.get(email="rowan@example.org")
    assert response.url == reverse("intake:patient_detail", kwargs={"patient_uuid": patient.uuid})
    client.post(reverse("intake:invitation_resend", kwargs={"patient_uuid": patient.uuid}))
    assert patient.invitations.filter(revoked_at__isnull=True).count() == 1
    assert patient.invitations.count() == 2


def test_the_invitation_link_sets_a_password_and_opens_the_wizard(
    client: Client, front_desk: User
) -> None:
    patient = PatientFactory()
    token = services.invitation_token(services.invitation_send(patient=patient, by=front_desk))
    url = reverse("intake:invitation_accept", kwargs={"token": token})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"password1": "synthetic-pass-for-tests-9", "password2": "synthetic-pass-for-tests-9"}
    )
    assert response.url == reverse("intake:intake_resume")
    # Used once: the same link now says so, with a 400.
    client.logout()
    response = client.get(url)
    assert response.status_code == 400
    assert "used already" in response.content.decode()


def test_a_tampered_link_gets_a_clear_400(client: Client) -> None:
    url = reverse("intake:invitation_accept", kwargs={"token": "forged:token"})
    response = client.get(url)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_the_public_request_page_queues_a_request_for_staff(
    client: Client, front_desk: User
) -> None:
    data = {
        "first_name": "Sky",
        "last_name": "Requester",
        "date_of_birth": "1991-05-06",
        "email": "sky@example.org",
        "reason": "Trauma therapy has stalled.",
    }
    assert client.post(reverse("intake:invitation_request"), data).status_code == 200
    request = InvitationRequest.objects.get()
    client.force_login(front_desk)
    assert "Sky Requester" in client.get(reverse("intake:invitation_request_list")).content.decode()
    client.post(
        reverse(
            "intake:invitation_request_handle",
            kwargs={"request_uuid": request.uuid, "action": "accept"},
        )
    )
    assert Patient.objects.filter(email="sky@example.org", status=PatientStatus.INVITED).exists()


def test_a_clinic_admin_edits_the_intake_policy(
    client: Client, clinic_admin: User, therapist: User
) -> None:
    client.force_login(therapist)
    assert client.get(reverse("intake:clinic_policy_edit")).status_code == 403
    client.force_login(clinic_admin)
    data = {
        "pcl5_cut_point": "31",
        "substance_abstinence_months": "12",
        "invitation_lifetime_days": "7",
        **{
            f"{name}_action": "exclude"
            for name in (
                "psychosis",
                "mania",
                "uncontrolled_hypertension",
                "cardiac_disease",
                "pregnancy",
                "substance_use",
                "liver_disease",
                "intracranial_pressure",
                "hyperthyroidism",
                "ketamine_cystitis",
            )
        },
    }
    assert client.post(reverse("intake:clinic_policy_edit"), data).status_code == 302
    policy = ClinicPolicy.get()
    assert (policy.pcl5_cut_point, policy.psychosis_action) == (31, "exclude")
    assert (
        client.post(
            reverse("intake:clinic_policy_edit"), data | {"pcl5_cut_point": "99"}
        ).status_code
        == 200
    )


def test_the_care_team_landing_page_shows_the_safety_alert(
    client: Client, patient: Patient, therapist: User
) -> None:
    submitted_intake(patient, phq9={"item9": 1}, cssrs={"q1": 1, "q2": 0, "q6": 0})
    client.force_login(therapist)
    page = client.get(reverse("accounts:index"), follow=True).content.decode()
    assert "Safety alerts" in page
    assert "PHQ-9 item 9 above 0" in page
    # The alert's time in the clinic's format and zone, not a bare "2026-11-22 15:22".
    for alert in Alert.objects.filter(patient=patient):
        assert when(alert.created_at) in page
        assert alert.created_at.strftime("%Y-%m-%d %H:%M") not in page


def test_a_clinician_overrides_a_finding_only_with_a_reason(
    client: Client, patient: Patient, therapist: User, outsider: User
) -> None:
    intake = submitted_intake(patient, medical={"seizures": "yes"})
    finding = intake.findings.get(code="seizures")
    url = reverse("intake:finding_override", kwargs={"finding_uuid": finding.uuid})
    client.force_login(outsider)
    assert client.post(url, {"reason": "Not mine."}).status_code == 404
    client.force_login(therapist)
    client.post(url, {"reason": "  "})
    finding.refresh_from_db()
    assert not finding.is_overridden
    client.post(url, {"reason": "Single febrile seizure in childhood."})
    finding.refresh_from_db()
    assert (finding.overridden_by, finding.override_reason) == (
        therapist,
        "Single febrile seizure in childhood.",
    )


def test_a_care_team_member_acknowledges_a_safety_alert(
    client: Client, patient: Patient, therapist: User, outsider: User
) -> None:
    submitted_intake(patient, phq9={"item9": 1}, cssrs={"q1": 1, "q2": 0, "q6": 0})
    alert = Alert.objects.get()
    url = reverse("intake:alert_acknowledge", kwargs={"alert_uuid": alert.uuid})
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(therapist)
    assert client.post(url).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == therapist
    page = client.get(reverse("accounts:index"), follow=True).content.decode()
    assert "No open safety alerts." in page


@pytest.mark.parametrize("rows", [1, 50])
def test_the_invitation_request_queue_keeps_its_query_count(
    client: Client, front_desk: User, rows: int, django_assert_max_num_queries: object
) -> None:
    for n in range(rows):
        InvitationRequest.objects.create(
            first_name=f"Given{n}",
            last_name="Requester",
            date_of_birth="1990-01-01",
            email=f"request{n}@example.org",
            reason="Synthetic reason.",
        )
    client.force_login(front_desk)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("intake:invitation_request_list"))
    assert response.status_code == 200
    assert response.content.decode().count("Accept and invite") == rows
