"""One confirmation per booking action: a course booked at once sends one message listing every
appointment with one .ics holding every event; a move raises SEQUENCE on the same UID and a
cancellation sends METHOD:CANCEL. The .ics is parsed with the icalendar library."""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
import pytest
from django.core import mail

from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.ics import calendar_ics_events
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.tasks import message_send
from sessions import reminders, services
from sessions.models import Appointment, AppointmentKind, Course, Room
from tests.kap_sessions.conftest import at

pytestmark = pytest.mark.django_db


def _proposal(course: Course, room: Room, kind: str, start: datetime) -> object:
    return services.ProposedAppointment(
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=2 if kind == AppointmentKind.DOSING else 1),
        room=room,
        medical_monitor=course.prescriber if kind == AppointmentKind.DOSING else None,
        therapist=course.therapist,
    )


def _book_course(course: Course, room: Room) -> list[Appointment]:
    proposals = [
        _proposal(course, room, AppointmentKind.PREPARATION, at(2027, 1, 4, 9)),
        _proposal(course, room, AppointmentKind.DOSING, at(2027, 1, 5, 9)),
        _proposal(course, room, AppointmentKind.INTEGRATION, at(2027, 1, 6, 10)),
        _proposal(course, room, AppointmentKind.DOSING, at(2027, 1, 8, 9)),
        _proposal(course, room, AppointmentKind.INTEGRATION, at(2027, 1, 9, 10)),
    ]
    return services.course_confirm(
        course=course,
        proposals=proposals,  # type: ignore[arg-type]
        by=course.created_by,
    )


def _events(ics: str) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(ics)
    return calendar, list(calendar.walk("VEVENT"))


def _ics_of(message: Message) -> str:
    rendered = message_render(message, time_zone="America/New_York")
    assert rendered is not None
    return calendar_ics_events(rendered.calendar_events)


def test_booking_a_course_sends_one_message_with_one_ics_of_every_appointment(
    course: Course, room: Room
) -> None:
    course.patient.reminder_channel = "email"
    course.patient.save(update_fields=["reminder_channel"])
    booked = _book_course(course, room)
    assert not Message.objects.filter(template_key=reminders.CONFIRMATION).exists()
    confirmation = Message.objects.get(template_key=reminders.COURSE_CONFIRMATION)
    rendered = message_render(confirmation, time_zone="America/New_York")
    assert rendered is not None
    assert "Monday 4 January 2027, 09:00: preparation session" in rendered.text
    assert rendered.text.count(": dosing session,") == 2
    message_send.apply(args=(confirmation.id,)).get()
    assert len(mail.outbox) == 1
    attachments = mail.outbox[0].attachments
    assert len(attachments) == 1
    name, ics, mimetype = attachments[0]
    assert name.endswith(".ics")
    assert "method=PUBLISH" in mimetype
    calendar, events = _events(ics if isinstance(ics, str) else ics.decode())
    assert str(calendar["method"]) == "PUBLISH"
    assert len(events) == len(booked) == 5
    assert {str(event["uid"]).split("@")[0] for event in events} == {
        str(appointment.uuid) for appointment in booked
    }
    assert all(int(event["sequence"]) == 0 for event in events)


def test_a_move_and_a_cancel_update_the_same_calendar_event(course: Course, room: Room) -> None:
    booked = _book_course(course, room)
    first = booked[0]
    _, events = _events(_ics_of(Message.objects.get(template_key=reminders.COURSE_CONFIRMATION)))
    uid = next(str(e["uid"]) for e in events if str(e["uid"]).startswith(str(first.uuid)))

    services.appointment_reschedule(
        appointment=first,
        starts_at=at(2027, 1, 4, 11),
        ends_at=at(2027, 1, 4, 12),
        by=course.created_by,
    )
    moved = Message.objects.get(
        template_key=reminders.CONFIRMATION, subject_key=f"appointment:{first.uuid}"
    )
    calendar, (event,) = _events(_ics_of(moved))
    assert str(event["uid"]) == uid
    assert int(event["sequence"]) == 1
    assert event.decoded("dtstart") == at(2027, 1, 4, 11)

    services.appointment_cancel(appointment=first, reason="Patient unwell", by=course.created_by)
    cancelled = Message.objects.get(template_key=reminders.CANCELLATION)
    calendar, (event,) = _events(_ics_of(cancelled))
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["uid"]) == uid
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 2
