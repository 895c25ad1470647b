"""Writes of scheduling: courses, booking, moving, cancelling and the appointment state machine.

Double booking is refused twice over: the portable check here, and on PostgreSQL the exclusion
constraints of migration 0004, whose violation (a concurrent booking that won) is mapped to the
same conflict error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions import reminders
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicianBooking,
    Course,
    CourseStatus,
    Location,
    Protocol,
    Room,
    StaffTimeOff,
)
from sessions.selectors import patient_is_cleared

EXCLUSION_CONSTRAINTS = {
    "appointment_patient_no_overlap": "The patient already has an appointment at that time.",
    "appointment_room_no_overlap": "The room is already booked at that time.",
    "clinician_no_overlap": "A clinician is already booked at that time.",
}


class BookingConflictError(ValidationError):
    """The slot is taken: by the patient, the room or a clinician (HTTP 409 in the API)."""


class InvalidTransitionError(ValidationError):
    """A state change out of order (e.g. completing a cancelled appointment)."""


# PostgreSQL's deadlock_detected and serialization_failure: two bookings racing for one slot can
# wait on each other inside the exclusion constraints, and the database aborts one of them.
CONTENTION_SQLSTATES = frozenset({"40P01", "40001"})
CONTENDED = (
    "Another booking for that time was being saved at the same moment and took the slot. "
    "Look at the schedule again and choose another time."
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _is_contention(error: OperationalError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return code in CONTENTION_SQLSTATES


def _retried_on_contention(service: Callable[_P, _R]) -> Callable[_P, _R]:
    """Runs the service in its own transaction (a savepoint when nested) and runs it once more
    when the database aborted it for a deadlock or a serialization failure; a second abort is
    answered as a booking conflict, never as a server error."""

    @functools.wraps(service)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return service(*args, **kwargs)
            except OperationalError as error:
                if not _is_contention(error):
                    raise
                cause: OperationalError = error
        raise BookingConflictError(CONTENDED) from cause

    return run


def _overlapping(starts_at: datetime, ends_at: datetime) -> Q:
    # Half-open ranges: an appointment ending at 10:00 does not overlap one starting at 10:00.
    return Q(starts_at__lt=ends_at, ends_at__gt=starts_at)


def booking_conflict(
    *,
    patient: Patient,
    room: Room,
    clinicians: Iterable[User],
    starts_at: datetime,
    ends_at: datetime,
    exclude: Appointment | None = None,
) -> str | None:
    """Why this slot cannot be booked, or None when it is free."""
    active = Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).filter(
        _overlapping(starts_at, ends_at)
    )
    bookings = ClinicianBooking.objects.filter(_overlapping(starts_at, ends_at), is_cancelled=False)
    if exclude is not None:
        active = active.exclude(id=exclude.id)
        bookings = bookings.exclude(appointment_id=exclude.id)
    if active.filter(patient=patient).exists():
        return EXCLUSION_CONSTRAINTS["appointment_patient_no_overlap"]
    if not room.is_virtual and active.filter(room=room, room_exclusive=True).exists():
        return f"{room.name} is already booked at that time."
    for clinician in clinicians:
        if bookings.filter(clinician=clinician).exists():
            return f"{clinician.full_name} is already booked at that time."
        if StaffTimeOff.objects.filter(_overlapping(starts_at, ends_at), staff=clinician).exists():
            return f"{clinician.full_name} is off at that time."
    return None


def _check_spacing(
    *, patient: Patient, protocol: Protocol, starts_at: datetime, exclude: Appointment | None
) -> None:
    spacing = timedelta(hours=protocol.minimum_spacing_hours)
    near = Appointment.objects.filter(
        patient=patient,
        kind=AppointmentKind.DOSING,
        starts_at__gt=starts_at - spacing,
        starts_at__lt=starts_at + spacing,
    ).exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
    if exclude is not None:
        near = near.exclude(id=exclude.id)
    if near.exists():
        raise ValidationError(
            f"Doses must be at least {protocol.minimum_spacing_hours} hours apart under "
            f"{protocol.name}; another dosing session is too close."
        )


def _validate(
    *,
    patient: Patient,
    kind: str,
    course: Course | None,
    room: Room,
    starts_at: datetime,
    ends_at: datetime,
    medical_monitor: User | None,
    therapist: User | None,
    exclude: Appointment | None = None,
) -> None:
    if ends_at <= starts_at:
        raise ValidationError("An appointment must end after it starts.")
    if not room.is_active:
        raise ValidationError(f"{room.name} is not in use.")
    if course is not None:
        if course.patient_id != patient.id:
            raise ValidationError("The course belongs to another patient.")
        if course.status == CourseStatus.CANCELLED:
            raise ValidationError("The course is cancelled.")
    if medical_monitor is not None and medical_monitor.role != Role.PRESCRIBER:
        raise ValidationError("The medical monitor must be a prescriber.")
    if therapist is not None and therapist.role != Role.THERAPIST:
        raise ValidationError("The therapist must be a therapist.")
    if kind == AppointmentKind.DOSING:
        if course is None:
            raise ValidationError("A dosing session needs a treatment course.")
        if not patient_is_cleared(patient):
            raise ValidationError("The patient has not been cleared for dosing.")
        if medical_monitor is None or therapist is None:
            raise ValidationError(
                "A dosing session needs a prescriber (medical monitor) and a therapist present."
            )
        if room.is_virtual:
            raise ValidationError("A dosing session needs a treatment room, not telehealth.")
        _check_spacing(
            patient=patient, protocol=course.protocol, starts_at=starts_at, exclude=exclude
        )
    conflict = booking_conflict(
        patient=patient,
        room=room,
        clinicians=[c for c in (medical_monitor, therapist) if c is not None],
        starts_at=starts_at,
        ends_at=ends_at,
        exclude=exclude,
    )
    if conflict:
        raise BookingConflictError(conflict)


def _save_guarded(write: Callable[[], None]) -> None:
    """Runs ``write`` in a savepoint; an exclusion-constraint violation becomes a conflict."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as error:
        for name, message in EXCLUSION_CONSTRAINTS.items():
            if name in str(error):
                raise BookingConflictError(message) from error
        raise


def _sync_clinician_bookings(appointment: Appointment) -> None:
    wanted = {c.id for c in (appointment.medical_monitor, appointment.therapist) if c}
    appointment.clinician_bookings.exclude(clinician_id__in=wanted).delete()
    for clinician_id in wanted:
        ClinicianBooking.objects.update_or_create(
            appointment=appointment,
            clinician_id=clinician_id,
            defaults={
                "starts_at": appointment.starts_at,
                "ends_at": appointment.ends_at,
                "is_cancelled": appointment.status == AppointmentStatus.CANCELLED,
            },
        )


@_retried_on_contention
@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    kind: str,
    room: Room,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    course: Course | None = None,
    medical_monitor: User | None = None,
    therapist: User | None = None,
    telehealth_url: str = "",
) -> Appointment:
    """Books one appointment; BookingConflictError when the slot is taken."""
    if kind not in AppointmentKind.values:
        raise ValidationError("Unknown kind of appointment.")
    if course is not None and kind == AppointmentKind.DOSING:
        _course_overlap_check(course=course, start=starts_at, end=ends_at)
    _validate(
        patient=patient,
        kind=kind,
        course=course,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        medical_monitor=medical_monitor,
        therapist=therapist,
    )
    appointment = Appointment(
        patient=patient,
        course=course,
        kind=kind,
        location=room.location,
        room=room,
        room_exclusive=not room.is_virtual,
        starts_at=starts_at,
        ends_at=ends_at,
        medical_monitor=medical_monitor,
        therapist=therapist,
        telehealth_url=telehealth_url,
        created_by=by,
    )

    def write() -> None:
        appointment.save()
        _sync_clinician_bookings(appointment)

    _save_guarded(write)
    reminders.appointment_reminders_request(appointment)
    return appointment


@_retried_on_contention
@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    room: Room | None = None,
) -> Appointment:
    """Moves a booked appointment; its pending reminders are cancelled and asked for again."""
    appointment = Appointment.objects.select_for_update().get(id=appointment.id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransitionError(
            "Only a booked appointment can be moved; this one is "
            f"{appointment.get_status_display().lower()}."
        )
    room = room or appointment.room
    _validate(
        patient=appointment.patient,
        kind=appointment.kind,
        course=appointment.course,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        medical_monitor=appointment.medical_monitor,
        therapist=appointment.therapist,
        exclude=appointment,
    )
    appointment.starts_at = starts_at
    appointment.ends_at = ends_at
    appointment.room = room
    appointment.location = room.location
    appointment.room_exclusive = not room.is_virtual
    appointment.schedule_version += 1

    def write() -> None:
        appointment.save()
        _sync_clinician_bookings(appointment)

    _save_guarded(write)
    reminders.appointment_reminders_cancel(appointment)
    reminders.appointment_reminders_request(appointment)
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, by: User) -> Appointment:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the appointment is cancelled.")
    appointment = _transition(appointment, AppointmentStatus.CANCELLED)
    appointment.cancel_reason = reason[:300]
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    appointment.clinician_bookings.update(is_cancelled=True)
    reminders.appointment_reminders_cancel(appointment)
    return appointment


def _transition(appointment: Appointment, status: str) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(id=appointment.id)
    if not appointment.can_become(status):
        raise InvalidTransitionError(
            f"A {appointment.get_status_display().lower()} appointment cannot become "
            f"{AppointmentStatus(status).label.lower()}."
        )
    appointment.status = status
    return appointment


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, by: User) -> Appointment:
    if appointment.is_dosing:
        from sessions.dosing import dosing_check_in_check

        # Within the policy window before the session, and only while dosing is allowed.
        dosing_check_in_check(appointment)
    appointment = _transition(appointment, AppointmentStatus.CHECKED_IN)
    appointment.checked_in_at = timezone.now()
    appointment.save(update_fields=["status", "checked_in_at"])
    if appointment.is_dosing:
        from sessions.dosing import dosing_record_open

        dosing_record_open(appointment=appointment)
    return appointment


@transaction.atomic
def appointment_status_set(*, appointment: Appointment, status: str, by: User) -> Appointment:
    """Start, complete or mark a no-show (check-in and cancel have their own services)."""
    if status not in (
        AppointmentStatus.IN_PROGRESS,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    ):
        raise InvalidTransitionError("Use check-in or cancel for that change.")
    if appointment.is_dosing and status != AppointmentStatus.NO_SHOW:
        raise InvalidTransitionError(
            "A dosing session starts and completes from its dosing record (go/no-go, discharge)."
        )
    appointment = _transition(appointment, status)
    appointment.save(update_fields=["status"])
    if status == AppointmentStatus.NO_SHOW:
        reminders.appointment_reminders_cancel(appointment)
    if status == AppointmentStatus.COMPLETED:
        from sessions.billing.services import charges_propose

        charges_propose(appointment=appointment, by=by)
    return appointment


def no_show_undoable(appointment: Appointment, *, now: datetime | None = None) -> bool:
    """A no-show can be undone until the end of the session's day (location time)."""
    if appointment.status != AppointmentStatus.NO_SHOW:
        return False
    zone = ZoneInfo(appointment.location.time_zone)
    today = (now or timezone.now()).astimezone(zone).date()
    return appointment.starts_at.astimezone(zone).date() == today


@transaction.atomic
def appointment_no_show_undo(*, appointment: Appointment, by: User) -> Appointment:
    """Books the appointment again after a mistaken no-show, the same day only."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not no_show_undoable(appointment):
        raise ValidationError("A no-show can be undone on the session's own day only.")
    appointment.status = AppointmentStatus.BOOKED
    appointment.save(update_fields=["status"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=appointment, detail="no-show undone")
    return appointment


# ------------------------------------------------------------------------------------------------
# Courses


@transaction.atomic
def course_create(
    *,
    patient: Patient,
    protocol: Protocol,
    location: Location,
    prescriber: User,
    therapist: User,
    planned_dose: object,
    start_date: date,
    by: User,
) -> Course:
    from decimal import Decimal, InvalidOperation

    if not patient_is_cleared(patient):
        raise ValidationError("The patient has not been cleared for treatment.")
    if not protocol.is_active:
        raise ValidationError(f"{protocol.name} is not in use.")
    if prescriber.role != Role.PRESCRIBER:
        raise ValidationError("The course's prescriber must be a prescriber.")
    if therapist.role != Role.THERAPIST:
        raise ValidationError("The course's therapist must be a therapist.")
    try:
        dose = Decimal(str(planned_dose))
    except InvalidOperation as error:
        raise ValidationError("The planned dose must be a number.") from error
    if not protocol.dose_minimum <= dose <= protocol.dose_maximum:
        raise ValidationError(
            f"The planned dose must be between {protocol.dose_minimum} and "
            f"{protocol.dose_maximum} {protocol.dose_unit} under {protocol.name}."
        )
    return Course.objects.create(
        patient=patient,
        protocol=protocol,
        location=location,
        prescriber=prescriber,
        therapist=therapist,
        planned_dose=dose,
        start_date=start_date,
        created_by=by,
    )


@dataclass(frozen=True)
class BookingWarning:
    """Something staff should know before booking a course (e.g. billing's "no Good Faith
    Estimate yet"), with where to put it right."""

    text: str
    url: str = ""
    link_label: str = ""


# Sub-domains (billing) warn about a course before it is booked without sessions importing them.
_course_booking_warnings: dict[str, Callable[[Course], list[BookingWarning]]] = {}


def course_booking_warnings_register(
    key: str, provider: Callable[[Course], list[BookingWarning]]
) -> None:
    _course_booking_warnings[key] = provider


def course_booking_warnings(course: Course) -> list[BookingWarning]:
    return [
        warning
        for key in sorted(_course_booking_warnings)
        for warning in _course_booking_warnings[key](course)
    ]


@dataclass
class ProposedAppointment:
    kind: str
    starts_at: datetime
    ends_at: datetime
    room: Room
    medical_monitor: User | None
    therapist: User | None


def _course_overlap_check(*, course: Course, start: datetime, end: datetime) -> None:
    """One course at a time per patient: outcomes are measured per course (issue 12)."""
    others = (
        Appointment.objects.filter(patient_id=course.patient_id, course__isnull=False)
        .exclude(course=course)
        .exclude(course__status=CourseStatus.CANCELLED)
        .exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
        .select_related("course__protocol")
        .order_by("starts_at")
    )
    spans: dict[int, tuple[Course, datetime, datetime]] = {}
    for appointment in others:
        other = appointment.course
        if other is None:  # filtered above; narrows the type
            continue
        first, last = spans.get(other.pk, (other, appointment.starts_at, appointment.ends_at))[1:]
        spans[other.pk] = (other, min(first, appointment.starts_at), max(last, appointment.ends_at))
    for other, first, last in spans.values():
        if start < last and first < end:
            raise ValidationError(
                f"These sessions ({start:%Y-%m-%d} to {end:%Y-%m-%d}) overlap the patient's "
                f"course {other.protocol.name} ({first:%Y-%m-%d} to {last:%Y-%m-%d}). A patient "
                "has one course at a time: move the dates or cancel the other course first."
            )


@transaction.atomic
def course_confirm(
    *, course: Course, proposals: list[ProposedAppointment], by: User
) -> list[Appointment]:
    """Books a planned course's appointments, all or none."""
    if course.status != CourseStatus.PLANNED:
        raise ValidationError("Only a planned course can be confirmed.")
    if proposals:
        _course_overlap_check(
            course=course,
            start=min(proposal.starts_at for proposal in proposals),
            end=max(proposal.ends_at for proposal in proposals),
        )
    booked = [
        appointment_book(
            patient=course.patient,
            course=course,
            kind=proposal.kind,
            room=proposal.room,
            starts_at=proposal.starts_at,
            ends_at=proposal.ends_at,
            medical_monitor=proposal.medical_monitor,
            therapist=proposal.therapist,
            by=by,
        )
        for proposal in proposals
    ]
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    return booked


# Higher layers (integration's outcomes) hear that a course completed without sessions importing
# them: each listener gets the course id after the transaction commits.
_course_completed_listeners: list[Callable[[int], None]] = []


def course_completed_register(listener: Callable[[int], None]) -> None:
    if listener not in _course_completed_listeners:
        _course_completed_listeners.append(listener)


@transaction.atomic
def course_complete(*, course: Course, by: User) -> Course:
    """Marks an active course completed; listeners run once the change has committed."""
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.status != CourseStatus.ACTIVE:
        raise ValidationError("Only an active course can be completed.")
    course.status = CourseStatus.COMPLETED
    course.save(update_fields=["status"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=course, detail="course completed")
    for listener in _course_completed_listeners:
        transaction.on_commit(lambda listener=listener: listener(course.pk))  # type: ignore[misc]
    return course
