"""The patient's messages about an appointment: requested, moved and cancelled with it.

Called by the booking services inside their transaction. Each message's idempotency key holds the
appointment's start and schedule version, so a move asks for fresh messages (the old ones are
cancelled by subject key) and asking twice for the same schedule queues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from intake.messaging import patient_recipient
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.services import message_request, messages_cancel
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    DosingPolicy,
)

CONFIRMATION = "sessions.booking_confirmation"
COURSE_CONFIRMATION = "sessions.course_booking_confirmation"
CANCELLATION = "sessions.appointment_cancelled"
DOSING_72H = "sessions.dosing_reminder_72h"
DOSING_24H = "sessions.dosing_reminder_24h"
REMINDER_2H = "sessions.appointment_reminder_2h"
SESSION_24H = "sessions.session_reminder_24h"
INTEGRATION_PROMPT = "sessions.integration_prompt"
NEXT_MORNING = "sessions.next_morning_checkin"

TEMPLATE_KEYS = (
    CONFIRMATION,
    CANCELLATION,
    DOSING_72H,
    DOSING_24H,
    REMINDER_2H,
    SESSION_24H,
    INTEGRATION_PROMPT,
    NEXT_MORNING,
)


def subject_key(appointment: Appointment) -> str:
    return f"appointment:{appointment.uuid}"


@dataclass(frozen=True)
class PlannedMessage:
    template_key: str
    send_at: datetime


def _local_clock(day: Any, clock: time, zone: ZoneInfo) -> datetime:
    # From the wall clock, so a daylight-saving change in between is respected.
    return datetime.combine(day, clock, tzinfo=zone)


def reminder_timeline(
    appointment: Appointment, *, now: datetime, confirm: bool = True
) -> list[PlannedMessage]:
    """The messages an appointment should have, given its kind and start; past ones left out.
    ``confirm=False`` leaves out its own confirmation (a course is confirmed in one message)."""
    start = appointment.starts_at
    zone = ZoneInfo(appointment.patient.time_zone or settings.TIME_ZONE)
    planned = [PlannedMessage(CONFIRMATION, now)] if confirm else []
    if appointment.kind == AppointmentKind.DOSING:
        policy = DosingPolicy.current()
        local_day = start.astimezone(zone).date()
        evening = max(
            _local_clock(local_day, policy.integration_prompt_time, zone), appointment.ends_at
        )
        planned += [
            PlannedMessage(DOSING_72H, start - timedelta(hours=72)),
            PlannedMessage(DOSING_24H, start - timedelta(hours=24)),
            PlannedMessage(REMINDER_2H, start - timedelta(hours=2)),
            PlannedMessage(INTEGRATION_PROMPT, evening),
            PlannedMessage(
                NEXT_MORNING,
                _local_clock(local_day + timedelta(days=1), policy.next_morning_checkin_time, zone),
            ),
        ]
    else:
        planned += [
            PlannedMessage(SESSION_24H, start - timedelta(hours=24)),
            PlannedMessage(REMINDER_2H, start - timedelta(hours=2)),
        ]
    return [
        message
        for message in planned
        if message.template_key == CONFIRMATION or message.send_at > now
    ]


def _idempotency_key(appointment: Appointment, template_key: str) -> str:
    return (
        f"{subject_key(appointment)}:{template_key}:"
        f"{appointment.starts_at.isoformat()}:v{appointment.schedule_version}"
    )


def appointment_reminders_request(
    appointment: Appointment, *, confirm: bool = True
) -> list[Message]:
    """Asks the outbox for the appointment's messages; call inside the booking transaction."""
    recipient = patient_recipient(appointment.patient)
    messages = []
    for planned in reminder_timeline(appointment, now=timezone.now(), confirm=confirm):
        message = message_request(
            recipient=recipient,
            template_key=planned.template_key,
            idempotency_key=_idempotency_key(appointment, planned.template_key),
            refs={"appointment": str(appointment.uuid)},
            subject_key=subject_key(appointment),
            send_at=planned.send_at,
            essential=True,
        )
        if message is not None:
            messages.append(message)
    return messages


def course_confirmation_request(course: Course) -> Message | None:
    """One message for a course booked at once: every appointment listed, one .ics for all."""
    return message_request(
        recipient=patient_recipient(course.patient),
        template_key=COURSE_CONFIRMATION,
        idempotency_key=f"course:{course.uuid}:{COURSE_CONFIRMATION}",
        refs={"course": str(course.uuid)},
        subject_key=f"course:{course.uuid}",
        essential=True,
    )


def appointment_reminders_cancel(appointment: Appointment) -> int:
    """Cancels the pending messages; a cancelled appointment's patient is told so."""
    cancelled = messages_cancel(subject_key=subject_key(appointment))
    if appointment.status == AppointmentStatus.CANCELLED:
        message_request(
            recipient=patient_recipient(appointment.patient),
            template_key=CANCELLATION,
            idempotency_key=f"{subject_key(appointment)}:{CANCELLATION}",
            refs={"appointment": str(appointment.uuid)},
            essential=True,
        )
    return cancelled


# ------------------------------------------------------------------------------------------------
# Message content


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def appointment_message_context(message: Message) -> dict[str, Any] | None:
    """The context of every sessions template; None when the appointment is gone or cancelled."""
    appointment = (
        Appointment.objects.select_related("patient", "location", "room")
        .filter(uuid=message.refs.get("appointment"))
        .first()
    )
    if appointment is None:
        return None
    if appointment.status == AppointmentStatus.CANCELLED and message.template_key != CANCELLATION:
        return None
    patient = appointment.patient
    zone = ZoneInfo(patient.time_zone or settings.TIME_ZONE)
    policy = DosingPolicy.current()
    # Naive wall-clock times in the patient's zone: the template date filter would otherwise
    # convert aware times to the server's zone.
    starts = appointment.starts_at.astimezone(zone).replace(tzinfo=None)
    where = _where(appointment)
    return {
        "first_name": patient.preferred_name or patient.legal_first_name,
        "clinic_name": settings.CLINIC_NAME,
        "kind": appointment.get_kind_display(),
        "is_dosing": appointment.is_dosing,
        "is_preparation": appointment.kind == AppointmentKind.PREPARATION,
        "starts_at": starts,
        "ends_at": appointment.ends_at.astimezone(zone).replace(tzinfo=None),
        "time_zone": str(zone),
        "where": where,
        "is_telehealth": appointment.room.is_virtual,
        "telehealth_url": appointment.telehealth_url,
        # Fasting clock times from the clinic's policy (CLINICAL.md, "Before a session").
        "no_solids_after": starts - timedelta(hours=policy.fasting_solids_hours),
        "clear_liquids_until": starts - timedelta(hours=policy.clear_liquids_hours),
        "no_driving_text": policy.no_driving_text,
        "readiness_url": _absolute(reverse("sessions:readiness_patient", args=[appointment.uuid])),
        "portal_url": _absolute(reverse("accounts:portal")),
        "protocol_articles": _protocol_articles(appointment),
        "calendar_event": _calendar_event(appointment, where),
    }


def _where(appointment: Appointment) -> str:
    if appointment.room.is_virtual:
        return "online (telehealth)"
    return f"{appointment.location.name}, {appointment.location.address}".rstrip(", ")


def _calendar_event(appointment: Appointment, where: str) -> dict[str, Any]:
    """The appointment as a calendar event: one UID for its life, SEQUENCE raised by each move
    and by the cancellation, so calendar programs update the event instead of adding one."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    return {
        "uid": f"{appointment.uuid}@kap-clinic",
        "start": appointment.starts_at,
        "end": appointment.ends_at,
        "summary": f"{appointment.get_kind_display()} session, {settings.CLINIC_NAME}",
        "location": where,
        "description": "Your appointment. Reply or call the clinic to change it.",
        "sequence": appointment.schedule_version - 1 + (1 if cancelled else 0),
        "cancelled": cancelled,
    }


def course_message_context(message: Message) -> dict[str, Any] | None:
    """The course confirmation: each booked appointment in the patient's zone, and its events."""
    course = (
        Course.objects.select_related("patient", "protocol")
        .filter(uuid=message.refs.get("course"))
        .first()
    )
    if course is None:
        return None
    appointments = list(
        course.appointments.exclude(status=AppointmentStatus.CANCELLED)
        .select_related("location", "room")
        .order_by("starts_at")
    )
    if not appointments:
        return None
    patient = course.patient
    zone = ZoneInfo(patient.time_zone or settings.TIME_ZONE)
    return {
        "first_name": patient.preferred_name or patient.legal_first_name,
        "clinic_name": settings.CLINIC_NAME,
        "time_zone": str(zone),
        "appointments": [
            {
                "kind": appointment.get_kind_display(),
                "starts_at": appointment.starts_at.astimezone(zone).replace(tzinfo=None),
                "where": _where(appointment),
            }
            for appointment in appointments
        ],
        "has_dosing": any(appointment.is_dosing for appointment in appointments),
        "portal_url": _absolute(reverse("accounts:portal")),
        "calendar_events": [
            _calendar_event(appointment, _where(appointment)) for appointment in appointments
        ],
    }


def _protocol_articles(appointment: Appointment) -> list[dict[str, str]]:
    """The published preparation reading attached to the course's protocol."""
    if appointment.course is None:
        return []
    articles = appointment.course.protocol.articles.filter(published=True).order_by("title")
    return [
        {
            "title": article.title,
            "url": _absolute(reverse("notifications:article_read", args=[article.slug])),
        }
        for article in articles
    ]


def register() -> None:
    for key in TEMPLATE_KEYS:
        context_builder_register(key, appointment_message_context)
    context_builder_register(COURSE_CONFIRMATION, course_message_context)
