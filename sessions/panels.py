"""Landing panels of the sessions app: the patient's upcoming sessions, staff's day at a glance."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from intake.selectors import patients_visible_to
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import appointment_links
from sessions.models import AppointmentStatus, CourseStatus, Location
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
