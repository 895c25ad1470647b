"""Reads of the sessions app, scoped to the user who asks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet, Sum

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.access import get_visible_or_404, visible_to
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import (
    Appointment,
    AppointmentStatus,
    Course,
    DoseAdministration,
    DosingRecord,
    DosingStatus,
    Location,
)

# The patient statuses that allow dosing. The one place this is decided: intake's clearance
# workflow may refine it later.
CLEARED_STATUSES = frozenset({PatientStatus.CLEARED, PatientStatus.IN_TREATMENT})


def patient_is_cleared(patient: Patient) -> bool:
    """Whether the patient has been cleared (medically and clinically) for dosing."""
    return patient.status in CLEARED_STATUSES


def appointments_visible_to(*, user: User) -> QuerySet[Appointment]:
    return visible_to(
        Appointment.objects.select_related(
            "patient", "room", "location", "medical_monitor", "therapist", "course__protocol"
        ),
        user=user,
        patient_path="patient__",
    )


def appointment_get(*, user: User, appointment_uuid: object) -> Appointment:
    return get_visible_or_404(
        Appointment.objects.select_related(
            "patient", "room", "location", "medical_monitor", "therapist", "course__protocol"
        ),
        user=user,
        patient_path="patient__",
        uuid=appointment_uuid,
    )


def courses_visible_to(*, user: User) -> QuerySet[Course]:
    return visible_to(
        Course.objects.select_related("patient", "protocol", "location", "prescriber", "therapist"),
        user=user,
        patient_path="patient__",
    )


def course_get(*, user: User, course_uuid: object) -> Course:
    return get_visible_or_404(
        Course.objects.select_related("patient", "protocol", "location", "prescriber", "therapist"),
        user=user,
        patient_path="patient__",
        uuid=course_uuid,
    )


def dosing_records_visible_to(*, user: User) -> QuerySet[DosingRecord]:
    """Dosing records for the care team's clinicians; nobody else sees their detail."""
    if user.role not in (Role.PRESCRIBER, Role.THERAPIST):
        return DosingRecord.objects.none()
    return visible_to(
        DosingRecord.objects.select_related(
            "appointment__patient",
            "appointment__room",
            "appointment__location",
            "appointment__course__protocol",
            "appointment__readiness",
        ),
        user=user,
        patient_path="appointment__patient__",
    )


def dosing_record_get(*, user: User, record_uuid: object) -> DosingRecord:
    return get_visible_or_404(
        dosing_records_visible_to(user=user).prefetch_related(
            Prefetch("doses", queryset=DoseAdministration.objects.select_related("given_by")),
            "vitals",
            "scores",
            "observations",
            "adverse_events",
            "other_medications",
        ),
        user=user,
        patient_path="appointment__patient__",
        uuid=record_uuid,
    )


def course_cumulative_dose_mg(course: Course) -> float:
    total = DoseAdministration.objects.filter(dosing_record__appointment__course=course).aggregate(
        total=Sum("dose_mg")
    )["total"]
    return float(total or 0)


def local_day_bounds(day: date, *, time_zone: str, days: int = 1) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=days), datetime.min.time(), tzinfo=zone)
    return start, end


def calendar_appointments(
    *,
    user: User,
    location: Location,
    day: date,
    days: int = 1,
    room_uuid: UUID | None = None,
    clinician_uuid: UUID | None = None,
) -> QuerySet[Appointment]:
    start, end = local_day_bounds(day, time_zone=location.time_zone, days=days)
    appointments = appointments_visible_to(user=user).filter(
        location=location, starts_at__lt=end, ends_at__gt=start
    )
    if room_uuid:
        appointments = appointments.filter(room__uuid=room_uuid)
    if clinician_uuid:
        appointments = appointments.filter(clinician_bookings__clinician__uuid=clinician_uuid)
    return appointments.order_by("starts_at", "id")


def board_appointments(*, user: User, location: Location, day: date) -> QuerySet[Appointment]:
    return calendar_appointments(user=user, location=location, day=day).select_related(
        "dosing_record", "readiness"
    )


def live_dosing_records(*, user: User, location: Location) -> QuerySet[DosingRecord]:
    return (
        dosing_records_visible_to(user=user)
        .filter(appointment__location=location, status=DosingStatus.IN_PROGRESS)
        .exclude(appointment__status=AppointmentStatus.CANCELLED)
        .prefetch_related("vitals", "doses")
        .order_by("appointment__room__name")
    )
