"""The clinician's daily digest: today's sessions (a section of kap_clinic.notifications.digest)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from kap_clinic.accounts.models import User
from kap_clinic.notifications.digest import DigestSection, digest_section_register
from kap_clinic.notifications.initials import initials
from sessions.models import Appointment, AppointmentStatus


def todays_sessions(user: User, day: date) -> list[str]:
    """One line per appointment of ``user`` on ``day`` (clinic time): time, kind, room, initials."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    appointments = (
        Appointment.objects.filter(Q(therapist=user) | Q(medical_monitor=user))
        .filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "room")
        .order_by("starts_at")
    )
    return [
        f"{appointment.starts_at.astimezone(zone):%H:%M} {appointment.get_kind_display()}, "
        f"{appointment.room.name}: "
        f"{initials(appointment.patient.legal_first_name, appointment.patient.legal_last_name)}"
        for appointment in appointments
    ]


def register() -> None:
    digest_section_register(
        DigestSection(
            key="sessions.today", title="Today's sessions", items=todays_sessions, order=10
        )
    )
