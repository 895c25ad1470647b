from datetime import date, timedelta

import pytest

from kap_clinic.accounts.models import User
from kap_clinic.notifications.digest import digest_sections
from sessions import services
from sessions.models import AppointmentKind, Course, Room
from tests.kap_sessions.conftest import at

pytestmark = pytest.mark.django_db


def _section(user: User, day: date) -> list[str]:
    sections = {s["key"]: s["items"] for s in digest_sections(user=user, day=day)}
    return sections["sessions.today"]


def test_the_digest_lists_the_clinicians_sessions_of_the_day_with_initials_only(
    course: Course, room: Room, outsider: User
) -> None:
    patient = course.patient
    patient.legal_first_name, patient.legal_last_name = "Quinn", "Marlowe"
    patient.save()
    appointment = services.appointment_book(
        patient=patient,
        kind=AppointmentKind.PREPARATION,
        room=room,
        starts_at=at(2027, 1, 4, 11),
        ends_at=at(2027, 1, 4, 12),
        course=course,
        therapist=course.therapist,
        by=course.created_by,
    )
    assert _section(course.therapist, date(2027, 1, 4)) == [
        f"11:00 Preparation, {room.name}: Q. M."
    ]
    assert _section(course.therapist, date(2027, 1, 5)) == []
    assert _section(outsider, date(2027, 1, 4)) == []
    services.appointment_cancel(appointment=appointment, reason="Unwell", by=course.created_by)
    assert _section(course.therapist, date(2027, 1, 4) + timedelta(days=0)) == []
