"""Psychotherapy time codes come from the signed note's start and end (registered by the
integration app into billing's minutes registry), not from the booked slot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from integration import services
from integration.models import Note
from integration.session_times import SOURCE, note_session_times_set
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.billing import registry
from sessions.billing.models import Charge, ChargeStatus
from sessions.billing.services import charge_post, charges_propose
from sessions.models import Appointment
from tests.factories import IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _session() -> Appointment:
    """A completed integration session booked for 60 minutes."""
    appointment = IntegrationAppointmentFactory()
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    return appointment


def _note(appointment: Appointment, minutes: int, *, sign: bool = True) -> Note:
    therapist = appointment.therapist
    assert therapist is not None
    note = services.note_start(appointment=appointment, by=therapist)
    note = services.note_draft_save(note=note, body="Integration: synthetic.", by=therapist)
    note = note_session_times_set(
        note=note,
        by=therapist,
        started_at=appointment.starts_at + timedelta(minutes=5),
        ended_at=appointment.starts_at + timedelta(minutes=5 + minutes),
    )
    if sign:
        note = services.note_sign(note=note, by=therapist)
    return note


def test_the_integration_app_registers_the_note_minutes() -> None:
    assert SOURCE in registry._providers


@pytest.mark.parametrize(
    ("minutes", "code"),
    [(15, None), (16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"), (53, "90837")],
)
def test_a_signed_notes_minutes_choose_the_psychotherapy_code(
    minutes: int, code: str | None
) -> None:
    appointment = _session()  # booked for 60 minutes: 90837 if the slot were used
    _note(appointment, minutes)
    charges = charges_propose(appointment=appointment, by=None)
    assert [charge.code.code for charge in charges] == ([code] if code else [])
    if code:
        assert charges[0].basis == f"{minutes} min ({SOURCE})"


def test_an_unsigned_note_leaves_the_booked_duration() -> None:
    appointment = _session()
    _note(appointment, 38, sign=False)
    charges = charges_propose(appointment=appointment, by=None)
    assert [charge.code.code for charge in charges] == ["90837"]
    assert charges[0].basis == "60 min (appointment duration)"


def test_signing_the_note_proposes_again_from_its_times_while_nothing_is_posted() -> None:
    """Charges are proposed when the session is completed, usually before the note is signed:
    the signed note's times then replace the booked duration's proposal."""
    appointment = _session()
    first = charges_propose(appointment=appointment, by=None)
    assert [charge.code.code for charge in first] == ["90837"]
    _note(appointment, 38)
    lines = Charge.objects.filter(appointment=appointment)
    assert {(line.code.code, line.status) for line in lines} == {
        ("90837", ChargeStatus.DISCARDED),
        ("90834", ChargeStatus.PROPOSED),
    }
    assert AuditEvent.objects.filter(
        object_id=str(first[0].uuid), detail__startswith="charge re-proposed"
    ).exists()


def test_signing_the_note_leaves_posted_charges_alone(clinic_admin: User) -> None:
    appointment = _session()
    (line,) = charges_propose(appointment=appointment, by=None)
    charge_post(charge=line, by=clinic_admin)
    _note(appointment, 38)
    lines = Charge.objects.filter(appointment=appointment)
    assert [(line.code.code, line.status) for line in lines] == [("90837", ChargeStatus.POSTED)]


def test_the_session_therapists_note_wins_over_a_co_therapists(prescriber: User) -> None:
    appointment = _session()
    co_note = services.note_start(appointment=appointment, by=prescriber)
    co_note = services.note_draft_save(note=co_note, body="Co-therapist.", by=prescriber)
    note_session_times_set(
        note=co_note,
        by=prescriber,
        started_at=appointment.starts_at,
        ended_at=appointment.starts_at + timedelta(minutes=20),
    )
    services.note_sign(note=co_note, by=prescriber)
    _note(appointment, 45)
    charges = charges_propose(appointment=appointment, by=None)
    assert [charge.code.code for charge in charges] == ["90834"]


def test_session_times_are_checked_and_audited() -> None:
    appointment = _session()
    therapist = appointment.therapist
    assert therapist is not None
    note = services.note_start(appointment=appointment, by=therapist)
    start = appointment.starts_at
    with pytest.raises(ValidationError) as error:
        note_session_times_set(note=note, by=therapist, started_at=start, ended_at=start)
    assert "ends after it starts" in str(error.value)
    with pytest.raises(ValidationError):
        note_session_times_set(
            note=note, by=therapist, started_at=start, ended_at=start + timedelta(hours=9)
        )
    with pytest.raises(ValidationError):
        note_session_times_set(
            note=note,
            by=therapist,
            started_at=datetime(2026, 3, 1, 10),  # noqa: DTZ001  (a naive time is refused)
            ended_at=datetime(2026, 3, 1, 11),  # noqa: DTZ001
        )
    with pytest.raises(ValidationError):
        note_session_times_set(
            note=note,
            by=UserFactory(role=Role.THERAPIST),
            started_at=start,
            ended_at=start + timedelta(minutes=50),
        )
    note.refresh_from_db()
    assert note.session_started_at is None
    assert not AuditEvent.objects.filter(detail="session times recorded").exists()
    signed = _note(_session(), 50)
    with pytest.raises(ValidationError):
        note_session_times_set(
            note=signed,
            by=therapist if signed.author_id == therapist.pk else signed.author,
            started_at=timezone.now() - timedelta(hours=1),
            ended_at=timezone.now(),
        )
    assert AuditEvent.objects.filter(detail="session times recorded").count() == 1


def test_the_author_records_the_times_on_the_note_page(
    client: Client, outsider: User, front_desk: User
) -> None:
    appointment = _session()
    therapist = appointment.therapist
    assert therapist is not None
    note = services.note_start(appointment=appointment, by=therapist)
    url = f"/integration/notes/{note.uuid}/session-times/"
    client.force_login(therapist)
    page = client.get(f"/integration/notes/{note.uuid}/")
    assert b"Session started" in page.content
    response = client.post(url, {"session_started_at": "10:50", "session_ended_at": "10:05"})
    assert response.status_code == 400
    assert b"The session ends after it starts." in response.content
    assert client.post(url, {"session_started_at": "soon"}).status_code == 400
    note.refresh_from_db()
    assert note.session_started_at is None
    response = client.post(url, {"session_started_at": "10:05", "session_ended_at": "10:43"})
    assert response.status_code == 302
    note.refresh_from_db()
    zone = ZoneInfo(appointment.location.time_zone)
    assert note.session_started_at is not None
    local = note.session_started_at.astimezone(zone)
    assert (local.date(), local.hour, local.minute) == (
        appointment.starts_at.astimezone(zone).date(),
        10,
        5,
    )
    assert note.session_ended_at - note.session_started_at == timedelta(minutes=38)
    assert b'value="10:05"' in client.get(f"/integration/notes/{note.uuid}/").content
    client.force_login(outsider)
    assert (
        client.post(url, {"session_started_at": "09:00", "session_ended_at": "09:50"}).status_code
        == 404
    )
    client.force_login(front_desk)
    assert (
        client.post(url, {"session_started_at": "09:00", "session_ended_at": "09:50"}).status_code
        == 403
    )
    note.refresh_from_db()
    assert note.session_ended_at - note.session_started_at == timedelta(minutes=38)
