from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from intake.models import InstrumentResponse, Patient
from integration import services
from integration.models import Reflection
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import Appointment
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

SECRET = "Psychotherapy process note (synthetic)."


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def signed_note(integration_appointment: Appointment, therapist: User) -> object:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Integration note text", by=therapist)
    return services.note_sign(note=note, by=therapist)


def test_the_care_team_reads_notes_and_each_read_is_audited(
    signed_note: object, therapist: User, prescriber: User
) -> None:
    for user in (therapist, prescriber):
        response = _api(user).get("/api/v1/notes/")
        assert response.status_code == 200
        assert response.json()["results"][0]["body"] == "Integration note text"
        uuid = response.json()["results"][0]["uuid"]
        assert _api(user).get(f"/api/v1/notes/{uuid}/").status_code == 200
        assert AuditEvent.objects.filter(actor=user, object_id=uuid, action="read").exists()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin", "patient_user", "outsider"])
def test_notes_api_hides_notes_from_everyone_else(
    role: str, request: pytest.FixtureRequest, signed_note: object
) -> None:
    client = _api(request.getfixturevalue(role))
    assert client.get("/api/v1/notes/").json()["results"] == []
    assert client.get(f"/api/v1/notes/{signed_note.uuid}/").status_code == 404  # type: ignore[attr-defined]


def test_psychotherapy_notes_are_never_in_the_api(
    patient: Patient, therapist: User, signed_note: object
) -> None:
    note = services.psychotherapy_note_create(patient=patient, body=SECRET, by=therapist)
    client = _api(therapist)
    for url in (
        "/api/v1/notes/",
        "/api/v1/shared-reflections/",
        "/api/v1/outcome-scores/",
        f"/api/v1/patients/{patient.uuid}/",
    ):
        response = client.get(url)
        assert SECRET not in response.content.decode()
    assert client.get(f"/api/v1/notes/{note.uuid}/").status_code == 404
    schema = client.get("/api/schema/").content.decode()
    assert "psychotherapy" not in schema.lower()


def test_shared_reflections_reach_the_therapist_and_private_ones_do_not(
    patient: Patient, patient_user: User, therapist: User, prescriber: User
) -> None:
    services.reflection_write(
        patient=patient, text="shared", shared_with_therapist=True, by=patient_user
    )
    services.reflection_write(
        patient=patient, text="private", shared_with_therapist=False, by=patient_user
    )
    texts = [
        r["text"] for r in _api(therapist).get("/api/v1/shared-reflections/").json()["results"]
    ]
    assert texts == ["shared"]
    assert _api(prescriber).get("/api/v1/shared-reflections/").json()["results"] == []
    own = [
        r["text"] for r in _api(patient_user).get("/api/v1/shared-reflections/").json()["results"]
    ]
    assert sorted(own) == ["private", "shared"]
    assert Reflection.objects.count() == 2


def test_outcome_scores_for_the_patient_and_the_care_team_only(
    patient: Patient, patient_user: User, therapist: User, front_desk: User, other_patient: Patient
) -> None:
    InstrumentResponse.objects.create(
        patient=patient,
        instrument_key="phq9",
        instrument_version="1",
        answers={},
        total=7,
        band="mild",
        band_label="Mild",
    )
    for user in (patient_user, therapist):
        results = _api(user).get("/api/v1/outcome-scores/").json()["results"]
        assert [r["total"] for r in results] == [7]
    assert _api(front_desk).get("/api/v1/outcome-scores/").json()["results"] == []
    assert other_patient.user is not None
    assert _api(other_patient.user).get("/api/v1/outcome-scores/").json()["results"] == []


def test_notes_list_endpoint_query_budget_holds_with_1_and_50(
    django_assert_max_num_queries: object, integration_appointment: Appointment, therapist: User
) -> None:
    services.note_start(appointment=integration_appointment, by=therapist)
    client = _api(therapist)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert client.get("/api/v1/notes/").status_code == 200
    for _ in range(49):
        appointment = IntegrationAppointmentFactory(course=integration_appointment.course)
        services.note_start(appointment=appointment, by=therapist)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert client.get("/api/v1/notes/").status_code == 200
