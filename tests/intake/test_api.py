"""The intake API under /api/v1/: the pages' access rules, scores, findings, assessments."""

from __future__ import annotations

import pytest
from django.test import Client

from intake import services
from intake.models import Decision, Patient
from kap_clinic.accounts.models import User
from tests.factories import PatientFactory
from tests.intake.answers import submitted_intake

pytestmark = pytest.mark.django_db


def url(patient: Patient, what: str = "") -> str:
    return f"/api/v1/patients/{patient.uuid}/" + (f"{what}/" if what else "")


def test_the_care_team_reads_status_scores_findings_and_assessments(
    client: Client, patient: Patient, prescriber: User
) -> None:
    submitted_intake(patient, phq9={"item1": 3, "item2": 2}, medical={"seizures": "yes"})
    services.medical_assessment_record(
        patient=patient,
        by=prescriber,
        data={
            "blood_pressure_systolic": 120,
            "blood_pressure_diastolic": 80,
            "heart_rate": 66,
            "oxygen_saturation": 99,
            "weight_kg": 70,
            "history_review": "Reviewed.",
            "decision": Decision.CLEARED,
            "reason": "",
            "exclude_override_reason": "",
        },
    )
    client.force_login(prescriber)
    assert client.get(url(patient)).json()["status"] == "screened"
    intake = client.get(url(patient, "intake")).json()
    phq9 = next(score for score in intake["scores"] if score["instrument_key"] == "phq9")
    assert (phq9["total"], phq9["band"]) == (5, "mild")
    findings = client.get(url(patient, "findings")).json()
    assert findings[0]["code"] == "seizures"
    assert findings[0]["evidence"][0]["answer"] == "yes"
    assessments = client.get(url(patient, "assessments")).json()
    assert assessments["medical"][0]["decision"] == "cleared"
    assert assessments["clinical"] == []


@pytest.mark.parametrize(
    ("who", "detail", "clinical"),
    [
        ("front_desk", 200, 403),
        ("outsider", 404, 404),
        ("patient_user", 200, 403),
        ("clinic_admin", 200, 200),
        ("therapist", 200, 200),
    ],
)
def test_api_access_matrix(
    request: pytest.FixtureRequest,
    client: Client,
    patient: Patient,
    who: str,
    detail: int,
    clinical: int,
) -> None:
    submitted_intake(patient)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(patient)).status_code == detail
    assert client.get(url(patient, "findings")).status_code == clinical


def test_another_patient_gets_404(client: Client, patient: Patient, other_patient: Patient) -> None:
    assert other_patient.user is not None
    client.force_login(other_patient.user)
    assert client.get(url(patient)).status_code == 404


def test_anonymous_requests_are_refused(client: Client, patient: Patient) -> None:
    assert client.get("/api/v1/patients/").status_code in (401, 403)


def test_no_intake_yet_is_a_404_with_a_reason(
    client: Client, patient: Patient, therapist: User
) -> None:
    client.force_login(therapist)
    response = client.get(url(patient, "intake"))
    assert response.status_code == 404
    assert "no intake" in response.json()["detail"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_patient_list_endpoint_keeps_its_query_count(
    client: Client, therapist: User, rows: int, django_assert_max_num_queries: object
) -> None:
    PatientFactory.create_batch(rows, therapist=therapist)
    client.force_login(therapist)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get("/api/v1/patients/")
    assert response.status_code == 200
    body = response.json()
    assert len(body.get("results", body)) == rows


def test_the_schema_still_generates(client: Client, therapist: User) -> None:
    client.force_login(therapist)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/patients/{uuid}/findings/" in response.content
