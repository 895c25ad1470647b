from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import context_build, context_builders, template_names
from kap_clinic.notifications.models import Message, MessageStatus
from sessions import reminders, services
from sessions.models import Appointment, AppointmentKind, Course, Room
from tests.kap_sessions.conftest import at

pytestmark = pytest.mark.django_db


def _dose(course: Course, room: Room, start: datetime) -> Appointment:
    return services.appointment_book(
        patient=course.patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        course=course,
        medical_monitor=course.prescriber,
        therapist=course.therapist,
        by=course.created_by,
    )


def _queued(appointment: Appointment) -> dict[str, datetime]:
    return dict(
        Message.objects.filter(
            subject_key=f"appointment:{appointment.uuid}", status=MessageStatus.QUEUED
        ).values_list("template_key", "send_at")
    )


def test_a_dosing_booking_queues_its_whole_timeline_across_a_daylight_saving_change(
    course: Course, room: Room
) -> None:
    # Saturday 13 March 2027, 10:00 EST; clocks go forward on Sunday 14 March.
    appointment = _dose(course, room, at(2027, 3, 13, 10))
    queued = _queued(appointment)
    assert set(queued) == {
        reminders.CONFIRMATION,
        reminders.DOSING_72H,
        reminders.DOSING_24H,
        reminders.REMINDER_2H,
        reminders.INTEGRATION_PROMPT,
        reminders.NEXT_MORNING,
    }
    assert queued[reminders.DOSING_72H] == datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    assert queued[reminders.DOSING_24H] == datetime(2027, 3, 12, 15, 0, tzinfo=UTC)
    assert queued[reminders.REMINDER_2H] == datetime(2027, 3, 13, 13, 0, tzinfo=UTC)
    # That evening at 19:00 EST, and next morning at 09:00 EDT (the wall clock, not +24 h).
    assert queued[reminders.INTEGRATION_PROMPT] == datetime(2027, 3, 14, 0, 0, tzinfo=UTC)
    assert queued[reminders.NEXT_MORNING] == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)
    message = Message.objects.get(template_key=reminders.DOSING_24H)
    assert message.refs == {"appointment": str(appointment.uuid)}
    assert message.recipient_id == str(course.patient.uuid)
    assert appointment.starts_at.isoformat() in message.idempotency_key


def test_a_preparation_booking_queues_a_confirmation_and_reminders_24h_and_2h_before(
    room: Room, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    appointment = services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.PREPARATION,
        room=room,
        starts_at=at(2027, 1, 4, 11),
        ends_at=at(2027, 1, 4, 12),
        therapist=therapist,
        by=front_desk,
    )
    queued = _queued(appointment)
    assert queued[reminders.SESSION_24H] == at(2027, 1, 3, 11)
    assert queued[reminders.REMINDER_2H] == at(2027, 1, 4, 9)
    assert set(queued) == {reminders.CONFIRMATION, reminders.SESSION_24H, reminders.REMINDER_2H}


def test_reminders_already_past_are_not_queued(course: Course, room: Room) -> None:
    soon = timezone.now() + timedelta(hours=1)
    appointment = _dose(course, room, soon)
    assert set(_queued(appointment)) == {
        reminders.CONFIRMATION,
        reminders.INTEGRATION_PROMPT,
        reminders.NEXT_MORNING,
    }


def test_cancelling_withdraws_pending_reminders_and_tells_the_patient(
    course: Course, room: Room
) -> None:
    appointment = _dose(course, room, at(2027, 3, 13, 10))
    services.appointment_cancel(appointment=appointment, reason="unwell", by=course.created_by)
    assert _queued(appointment) == {}
    assert Message.objects.filter(
        template_key=reminders.CANCELLATION, status=MessageStatus.QUEUED
    ).exists()
    assert (
        Message.objects.filter(
            subject_key=f"appointment:{appointment.uuid}", status=MessageStatus.CANCELLED
        ).count()
        == 6
    )


def test_moving_an_appointment_moves_its_reminders_even_back_to_the_first_time(
    course: Course, room: Room
) -> None:
    appointment = _dose(course, room, at(2027, 3, 13, 10))
    services.appointment_reschedule(
        appointment=appointment,
        starts_at=at(2027, 3, 20, 10),
        ends_at=at(2027, 3, 20, 12, 30),
        by=course.created_by,
    )
    assert _queued(appointment)[reminders.DOSING_24H] == at(2027, 3, 19, 10)
    appointment.refresh_from_db()
    services.appointment_reschedule(
        appointment=appointment,
        starts_at=at(2027, 3, 13, 10),
        ends_at=at(2027, 3, 13, 12, 30),
        by=course.created_by,
    )
    queued = _queued(appointment)
    assert queued[reminders.DOSING_24H] == at(2027, 3, 12, 10)
    assert len(queued) == 6


def test_every_template_renders_with_fasting_clock_times_from_policy(
    course: Course, room: Room
) -> None:
    appointment = _dose(course, room, at(2027, 3, 13, 10))
    assert set(reminders.TEMPLATE_KEYS) <= set(context_builders())
    message = Message.objects.get(template_key=reminders.DOSING_24H)
    context = context_build(message)
    assert context is not None
    body = render_to_string(template_names(reminders.DOSING_24H).text, context)
    assert "No solid food after Saturday 04:00" in body
    assert "none after Saturday 08:00" in body
    assert "Do not drive until the next day" in body
    assert f"/sessions/appointments/{appointment.uuid}/readiness/" in body
    assert context["calendar_event"]["start"] == appointment.starts_at
    for key in reminders.TEMPLATE_KEYS:
        names = template_names(key)
        for name in (names.subject, names.text, names.sms):
            assert render_to_string(name, context).strip(), name


def test_a_telehealth_reminder_gives_the_link(
    clinic: object, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    from tests.factories import RoomFactory

    room = RoomFactory(location=clinic, kind="telehealth")
    services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=at(2027, 1, 4, 11),
        ends_at=at(2027, 1, 4, 12),
        therapist=therapist,
        telehealth_url="https://video.example.org/room/abc",
        by=front_desk,
    )
    message = Message.objects.get(template_key=reminders.REMINDER_2H)
    body = render_to_string(template_names(reminders.REMINDER_2H).text, context_build(message))
    assert "Join online: https://video.example.org/room/abc" in body


def test_the_context_of_a_cancelled_appointments_reminder_is_gone(
    course: Course, room: Room
) -> None:
    appointment = _dose(course, room, at(2027, 3, 13, 10))
    message = Message.objects.get(template_key=reminders.DOSING_72H)
    services.appointment_cancel(appointment=appointment, reason="unwell", by=course.created_by)
    assert context_build(message) is None
