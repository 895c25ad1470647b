from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integration import services
from integration.models import NoteAddendum, NoteTemplate, content_hash
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Appointment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_seeded_integration_template_has_the_issue_sections() -> None:
    template = NoteTemplate.objects.get(kind="integration", is_default=True)
    for heading in (
        "The experience in the patient's words",
        "Themes and images",
        "Emotions",
        "Body",
        "Insights",
        "Meaning and intentions",
        "Practices and homework",
        "Risk assessment",
        "Plan",
    ):
        assert heading in template.sections
    assert NoteTemplate.objects.get(kind="preparation", is_default=True).name == "SOAP"
    assert NoteTemplate.objects.get(kind="dosing", is_default=True).name == "DAP"


def test_starting_a_note_uses_the_template_of_its_kind(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    assert note.course_id == integration_appointment.course_id
    assert note.patient_id == integration_appointment.patient_id
    assert "Risk assessment:" in note.body
    assert services.note_start(appointment=integration_appointment, by=therapist) == note


def test_signing_stores_the_sha256_and_locks_the_note(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Calm, grounded.", by=therapist)
    note = services.note_sign(note=note, by=therapist)
    assert note.content_hash == content_hash("Calm, grounded.")
    assert note.is_final
    with pytest.raises(ValidationError, match="signed and locked"):
        services.note_draft_save(note=note, body="changed", by=therapist)
    note.refresh_from_db()
    assert note.body == "Calm, grounded."


def test_editing_a_signed_note_over_http_shows_a_message_and_changes_nothing(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Signed text", by=therapist)
    services.note_sign(note=note, by=therapist)
    client = _client(therapist)
    response = client.post(reverse("integration:note_save", args=[note.uuid]), {"body": "Tampered"})
    assert response.status_code == 400
    assert b"signed and locked" in response.content
    autosave = client.post(
        reverse("integration:note_autosave", args=[note.uuid]), {"body": "Tampered"}
    )
    assert autosave.status_code == 200
    assert b"Not saved" in autosave.content
    note.refresh_from_db()
    assert note.body == "Signed text"


def test_signing_someone_elses_note_is_refused(
    integration_appointment: Appointment, therapist: User, prescriber: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Draft", by=therapist)
    response = _client(prescriber).post(
        reverse("integration:note_save", args=[note.uuid]), {"body": "Draft", "sign": "1"}
    )
    assert response.status_code == 400
    assert b"Only the note&#x27;s author" in response.content
    note.refresh_from_db()
    assert note.signed_at is None
    assert note.body == "Draft"


def test_a_failed_save_keeps_the_submitted_text_in_the_textarea(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    too_long = "x" * (services.NOTE_BODY_MAX + 1)
    response = _client(therapist).post(
        reverse("integration:note_save", args=[note.uuid]), {"body": too_long}
    )
    assert response.status_code == 400
    assert too_long.encode() in response.content


def test_autosave_saves_the_draft(integration_appointment: Appointment, therapist: User) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    response = _client(therapist).post(
        reverse("integration:note_autosave", args=[note.uuid]), {"body": "Autosaved words"}
    )
    assert b"Draft saved" in response.content
    note.refresh_from_db()
    assert note.body == "Autosaved words"


def test_addenda_are_signed_and_leave_the_note_unchanged(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Original", by=therapist)
    with pytest.raises(ValidationError, match="still a draft"):
        services.note_addendum_add(note=note, body="Too early", by=therapist)
    services.note_sign(note=note, by=therapist)
    response = _client(therapist).post(
        reverse("integration:note_addendum", args=[note.uuid]), {"addendum": "Called next day."}
    )
    assert response.status_code == 302
    addendum = NoteAddendum.objects.get(note=note)
    assert addendum.content_hash == content_hash("Called next day.")
    note.refresh_from_db()
    assert note.body == "Original"
    page = _client(therapist).get(reverse("integration:note_detail", args=[note.uuid]))
    assert b"Called next day." in page.content
    assert b"Signed by Test Therapist" in page.content


def test_a_supervised_clinicians_note_is_final_only_after_the_supervisors_cosignature(
    integration_appointment: Appointment, therapist: User
) -> None:
    supervisor = UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")
    therapist.supervisor = supervisor
    therapist.save(update_fields=["supervisor"])
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Text", by=therapist)
    note = services.note_sign(note=note, by=therapist)
    assert not note.is_final
    assert note.status_label == "Signed, awaiting co-signature"
    response = _client(supervisor).post(reverse("integration:note_cosign", args=[note.uuid]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_final
    assert note.cosigned_by == supervisor


def test_cosigning_without_being_the_supervisor_is_refused(
    integration_appointment: Appointment, therapist: User, prescriber: User
) -> None:
    therapist.supervisor = UserFactory(role=Role.THERAPIST)
    therapist.save(update_fields=["supervisor"])
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Text", by=therapist)
    services.note_sign(note=note, by=therapist)
    response = _client(prescriber).post(reverse("integration:note_cosign", args=[note.uuid]))
    assert response.status_code == 400
    assert b"Only the author&#x27;s supervisor" in response.content
    note.refresh_from_db()
    assert note.cosigned_at is None


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin", "patient_user", "outsider"])
def test_notes_are_hidden_from_everyone_outside_the_clinical_care_team(
    role: str, request: pytest.FixtureRequest, integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    user = request.getfixturevalue(role)
    response = _client(user).get(reverse("integration:note_detail", args=[note.uuid]))
    assert response.status_code in (403, 404)


def test_the_prescriber_of_the_care_team_reads_notes_and_the_read_is_audited(
    integration_appointment: Appointment, therapist: User, prescriber: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    response = _client(prescriber).get(reverse("integration:note_detail", args=[note.uuid]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        object_id=str(note.uuid), action="read", actor=prescriber
    ).exists()


def test_notes_unsigned_72_hours_after_the_session_are_on_the_landing_page(
    integration_appointment: Appointment, therapist: User
) -> None:
    integration_appointment.starts_at = timezone.now() - timedelta(hours=73)
    integration_appointment.ends_at = integration_appointment.starts_at + timedelta(hours=1)
    integration_appointment.save()
    note = services.note_start(appointment=integration_appointment, by=therapist)
    response = _client(therapist).get(reverse("accounts:clinician"))
    assert response.status_code == 200
    assert reverse("integration:note_detail", args=[note.uuid]).encode() in response.content
    services.note_draft_save(note=note, body="Done", by=therapist)
    services.note_sign(note=note, by=therapist)
    response = _client(therapist).get(reverse("accounts:clinician"))
    assert reverse("integration:note_detail", args=[note.uuid]).encode() not in response.content


def test_a_draft_71_hours_after_the_session_is_not_yet_listed(
    integration_appointment: Appointment, therapist: User
) -> None:
    integration_appointment.starts_at = timezone.now() - timedelta(hours=71)
    integration_appointment.ends_at = integration_appointment.starts_at + timedelta(hours=1)
    integration_appointment.save()
    note = services.note_start(appointment=integration_appointment, by=therapist)
    response = _client(therapist).get(reverse("accounts:clinician"))
    assert reverse("integration:note_detail", args=[note.uuid]).encode() not in response.content


def test_note_list_query_budget_holds_with_1_and_50_notes(
    django_assert_max_num_queries: object, integration_appointment: Appointment, therapist: User
) -> None:
    from tests.factories import IntegrationAppointmentFactory

    client = _client(therapist)
    services.note_start(appointment=integration_appointment, by=therapist)
    url = reverse("integration:patient_notes", args=[integration_appointment.patient.uuid])
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).status_code == 200
    for _ in range(49):
        appointment = IntegrationAppointmentFactory(course=integration_appointment.course)
        services.note_start(appointment=appointment, by=therapist)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(url)
    assert response.status_code == 200


def test_a_note_saved_from_the_form_keeps_plain_line_breaks(
    integration_appointment: Appointment, therapist: User
) -> None:
    """Browsers send a textarea's line breaks as CRLF; the stored text and its hash use LF."""
    note = services.note_start(appointment=integration_appointment, by=therapist)
    response = _client(therapist).post(
        reverse("integration:note_save", args=[note.uuid]),
        {"body": "Plan:\r\nwalk daily", "save": ""},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.body == "Plan:\nwalk daily"
