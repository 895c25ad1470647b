"""Landing panels of the sessions app: the patient's upcoming sessions, staff's day at a glance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from intake.selectors import patients_visible_to
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import appointment_links
from sessions.models import (
    AppointmentKind,
    AppointmentStatus,
    CourseStatus,
    DosingPolicy,
    Location,
)
from sessions.selectors import CLEARED_STATUSES, appointments_visible_to, local_day_bounds

UPCOMING = 10
READY = 10


def _my_sessions(request: AuthenticatedRequest) -> dict[str, Any]:
    upcoming = (
        appointments_visible_to(user=request.user)
        .filter(ends_at__gte=timezone.now())
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("readiness")[:UPCOMING]
    )
    return {"appointments": upcoming}


def _day_time(moment: datetime) -> str:
    """A wall-clock time with its day, e.g. "Tue 3 Mar 02:00" (the patient's zone)."""
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def _next_session(request: AuthenticatedRequest) -> dict[str, Any]:
    """The patient's next session: when and where in their own zone, what to bring, how to
    prepare (the clinic's fasting and driving policy), the readiness form when it is due and the
    protocol's reading. A fixed number of queries."""
    appointment = (
        appointments_visible_to(user=request.user)
        .filter(ends_at__gte=timezone.now())
        .exclude(
            status__in=[
                AppointmentStatus.CANCELLED,
                AppointmentStatus.NO_SHOW,
                AppointmentStatus.COMPLETED,
            ]
        )
        .select_related("readiness")
        .order_by("starts_at", "id")
        .first()
    )
    if appointment is None:
        return {"appointment": None}
    zone = ZoneInfo(appointment.patient.time_zone or settings.TIME_ZONE)
    starts = appointment.starts_at.astimezone(zone)
    context: dict[str, Any] = {
        "appointment": appointment,
        "starts": starts,
        "ends": appointment.ends_at.astimezone(zone),
        "time_zone_name": str(zone).replace("_", " "),
        "is_telehealth": appointment.room.is_virtual,
        "articles": list(
            appointment.course.protocol.articles.filter(published=True).order_by("title")
        )
        if appointment.course is not None
        else [],
        "bring": ["Photo identification", "The list of medicines you take"],
        "prepare": [],
    }
    if appointment.is_dosing:
        policy = DosingPolicy.current()
        readiness = getattr(appointment, "readiness", None)
        # Fasting and driving from the clinic's policy (CLINICAL.md, "Before a session").
        context["prepare"] = [
            "No solid food after "
            f"{_day_time(starts - timedelta(hours=policy.fasting_solids_hours))}.",
            "Clear liquids (water, clear tea) until "
            f"{_day_time(starts - timedelta(hours=policy.clear_liquids_hours))}.",
            "Arrange someone to take you home after the session.",
            policy.no_driving_text,
        ]
        context["bring"] = [
            *context["bring"],
            "The name and phone number of the person taking you home",
            "What you took in the 24 hours before (medicines, alcohol, other substances)",
        ]
        context["readiness_due"] = readiness is None or (
            readiness.patient_submitted_at is None and not readiness.staff_part_done
        )
        context["readiness_done"] = readiness is not None and readiness.patient_submitted_at
    elif appointment.kind == AppointmentKind.PREPARATION:
        context["prepare"] = ["Read what your clinic has shared before the session."]
    return context


def _my_day(request: AuthenticatedRequest) -> dict[str, Any]:
    """The clinician's own sessions today (clinic time), each with its one-click next step."""
    user = request.user
    start, end = local_day_bounds(timezone.localdate(), time_zone=settings.TIME_ZONE)
    appointments = list(
        appointments_visible_to(user=user)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .filter(
            Q(therapist=user)
            | Q(medical_monitor=user)
            | Q(clinician_bookings__clinician=user, clinician_bookings__is_cancelled=False)
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("dosing_record")
        .distinct()
        .order_by("starts_at", "id")
    )
    links = appointment_links(appointments=appointments, user=user)
    return {
        "rows": [(appointment, links.get(appointment.pk, [])) for appointment in appointments],
        "time_zone_name": settings.TIME_ZONE.replace("_", " "),
    }


def _schedule(request: AuthenticatedRequest) -> dict[str, Any]:
    # One query: the landing page keeps its budget. Flags come from the role, not permission
    # lookups; the patients ready to schedule load separately (htmx).
    role = request.user.role
    return {
        "locations": Location.objects.filter(is_active=True),
        "sees_dosing": role in (Role.PRESCRIBER, Role.THERAPIST),
    }


def patients_ready_to_schedule(request: AuthenticatedRequest) -> Any:
    """Cleared patients without a planned or active course."""
    return (
        patients_visible_to(user=request.user)
        .filter(status__in=CLEARED_STATUSES)
        .exclude(courses__status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE])[:READY]
    )


panel_register(
    Panel(
        key="sessions.my_sessions",
        title="Your sessions",
        template="kap_sessions/panels/my_sessions.html",
        roles=frozenset({Role.PATIENT}),
        context=_my_sessions,
        order=20,
    )
)
panel_register(
    Panel(
        key="sessions.next_session",
        title="Your next session",
        template="kap_sessions/panels/next_session.html",
        roles=frozenset({Role.PATIENT}),
        context=_next_session,
        order=5,
    )
)
panel_register(
    Panel(
        key="sessions.my_day",
        title="My sessions today",
        template="kap_sessions/panels/my_day.html",
        roles=frozenset({Role.THERAPIST, Role.PRESCRIBER}),
        context=_my_day,
        order=1,
    )
)
panel_register(
    Panel(
        key="sessions.schedule",
        title="Schedule",
        template="kap_sessions/panels/schedule.html",
        # Clinic admins reach the calendar from the navigation; their landing page is set-up.
        roles=frozenset({Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER}),
        context=_schedule,
        order=10,
    )
)
