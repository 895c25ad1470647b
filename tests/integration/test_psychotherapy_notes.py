from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from integration import services
from integration.models import PsychotherapyNote
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Appointment

pytestmark = pytest.mark.django_db

SECRET = "Process note: transference themes (synthetic)."


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def psychotherapy_note(patient: Patient, therapist: User) -> PsychotherapyNote:
    return services.psychotherapy_note_create(patient=patient, body=SECRET, by=therapist)


def test_the_author_reads_their_psychotherapy_note_and_each_access_is_audited(
    psychotherapy_note: PsychotherapyNote, therapist: User
) -> None:
    client = _client(therapist)
    url = reverse("integration:psychotherapy_note_detail", args=[psychotherapy_note.uuid])
    assert SECRET.encode() in client.get(url).content
    assert SECRET.encode() in client.get(url).content
    assert (
        AuditEvent.objects.filter(
            object_id=str(psychotherapy_note.uuid), action="read", actor=therapist
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    "role", ["prescriber", "front_desk", "clinic_admin", "patient_user", "outsider"]
)
def test_every_other_user_gets_404_for_a_psychotherapy_note(
    role: str, request: pytest.FixtureRequest, psychotherapy_note: PsychotherapyNote
) -> None:
    client = _client(request.getfixturevalue(role))
    detail = reverse("integration:psychotherapy_note_detail", args=[psychotherapy_note.uuid])
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"body": "overwritten"}).status_code == 404
    listing = reverse("integration:psychotherapy_note_list", args=[psychotherapy_note.patient.uuid])
    response = client.get(listing)
    assert response.status_code == 404
    psychotherapy_note.refresh_from_db()
    assert psychotherapy_note.body == SECRET


def test_another_therapist_of_the_same_patient_does_not_see_it_in_their_list(
    psychotherapy_note: PsychotherapyNote, patient: Patient
) -> None:
    from tests.factories import UserFactory

    colleague = UserFactory(role=Role.THERAPIST)
    patient.therapist = colleague
    patient.save(update_fields=["therapist"])
    client = _client(colleague)
    listing = client.get(reverse("integration:psychotherapy_note_list", args=[patient.uuid]))
    assert listing.status_code == 200
    assert SECRET.encode() not in listing.content
    detail = reverse("integration:psychotherapy_note_detail", args=[psychotherapy_note.uuid])
    assert client.get(detail).status_code == 404


def test_psychotherapy_notes_never_appear_in_the_chart_views(
    psychotherapy_note: PsychotherapyNote,
    therapist: User,
    prescriber: User,
    integration_appointment: Appointment,
) -> None:
    services.note_start(appointment=integration_appointment, by=therapist)
    for user in (therapist, prescriber):
        client = _client(user)
        for url in (
            reverse("integration:patient_notes", args=[psychotherapy_note.patient.uuid]),
            reverse("integration:course_integration", args=[integration_appointment.course.uuid]),
            reverse("intake:patient_detail", args=[psychotherapy_note.patient.uuid]),
        ):
            response = client.get(url)
            assert response.status_code == 200
            assert SECRET.encode() not in response.content


def test_only_therapists_write_psychotherapy_notes(patient: Patient, prescriber: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.psychotherapy_note_create(patient=patient, body="x", by=prescriber)
    assert not PsychotherapyNote.objects.exists()


def test_the_author_writes_and_changes_a_note_over_http(patient: Patient, therapist: User) -> None:
    client = _client(therapist)
    listing = reverse("integration:psychotherapy_note_list", args=[patient.uuid])
    assert client.post(listing, {"body": ""}).status_code == 400
    assert client.post(listing, {"body": "First"}).status_code == 302
    note = PsychotherapyNote.objects.get()
    detail = reverse("integration:psychotherapy_note_detail", args=[note.uuid])
    assert client.post(detail, {"body": "Second"}).status_code == 302
    note.refresh_from_db()
    assert note.body == "Second"


def test_an_edit_keeps_the_earlier_text_as_a_version_only_the_author_reads(
    psychotherapy_note: PsychotherapyNote, therapist: User, outsider: User, clinic_admin: User
) -> None:
    services.psychotherapy_note_update(
        note=psychotherapy_note, body="Second draft (synthetic).", by=therapist
    )
    services.psychotherapy_note_update(
        note=psychotherapy_note, body="Third draft (synthetic).", by=therapist
    )
    # Saving the same text again keeps no empty version.
    services.psychotherapy_note_update(
        note=psychotherapy_note, body="Third draft (synthetic).", by=therapist
    )
    versions = list(psychotherapy_note.versions.order_by("number"))
    assert [(v.number, v.body) for v in versions] == [
        (1, SECRET),
        (2, "Second draft (synthetic)."),
    ]
    # The services record their own audit rows: one create, two changes.
    events = AuditEvent.objects.filter(object_id=str(psychotherapy_note.uuid), actor=therapist)
    assert sorted(events.values_list("action", flat=True)) == ["create", "update", "update"]

    url = reverse("integration:psychotherapy_note_detail", args=[psychotherapy_note.uuid])
    page = _client(therapist).get(url).content.decode()
    assert "Earlier versions" in page
    assert SECRET in page
    assert "Second draft (synthetic)." in page
    for other in (outsider, clinic_admin):
        assert _client(other).get(url).status_code == 404
