"""Writes of scheduling: courses, booking, moving, cancelling and the appointment state machine.

Double booking is refused twice over: the portable check here, and on PostgreSQL the exclusion
constraints of migration 0004, whose violation (a concurrent booking that won) is mapped to the
same conflict error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
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
    OpeningHours,
    Protocol,
    Room,
    StaffTimeOff,
    StaffWorkingHours,
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
    return None


# A session already under way can still be put on the schedule (a walk-in written up after it
# began); anything earlier is a record of the past, which only a clinic admin makes, with a reason.
PAST_GRACE = timedelta(minutes=60)
OVERRIDE_HINT = "A clinic admin can book it anyway, giving a reason."


def _hours_text(spans: Iterable[tuple[time, time]]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in sorted(spans))


def schedule_rule_breaches(
    *, location: Location, clinicians: Iterable[User], starts_at: datetime, ends_at: datetime
) -> list[str]:
    """Why a time is outside the schedule: in the past, the location closed, a clinician not
    working or off. A location (or clinician) with no hours recorded is taken to be open."""
    breaches: list[str] = []
    zone = ZoneInfo(location.time_zone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if starts_at < timezone.now() - PAST_GRACE:
        breaches.append(f"{start:%A %-d %B %Y at %H:%M} is in the past.")
    weekday_name = f"{start:%A}s"

    def fits(spans: list[tuple[time, time]]) -> bool:
        return start.date() == end.date() and any(
            opens <= start.time() and end.time() <= closes for opens, closes in spans
        )

    opening = list(
        OpeningHours.objects.filter(location=location).values_list(
            "weekday", "opens_at", "closes_at"
        )
    )
    if opening:
        today = [(opens, closes) for day, opens, closes in opening if day == start.weekday()]
        if not today:
            breaches.append(f"{location.name} is closed on {weekday_name}.")
        elif not fits(today):
            breaches.append(
                f"{location.name} is open {_hours_text(today)} on {weekday_name}; "
                f"{start:%H:%M}-{end:%H:%M} is outside those hours."
            )
    for clinician in clinicians:
        shifts = list(
            StaffWorkingHours.objects.filter(staff=clinician).values_list(
                "location_id", "weekday", "starts_at", "ends_at"
            )
        )
        here = [
            (begins, finishes)
            for location_id, day, begins, finishes in shifts
            if location_id == location.id and day == start.weekday()
        ]
        if shifts and not here:
            breaches.append(
                f"{clinician.full_name} does not work at {location.name} on {weekday_name}."
            )
        elif shifts and not fits(here):
            breaches.append(
                f"{clinician.full_name} works {_hours_text(here)} on {weekday_name} at "
                f"{location.name}; {start:%H:%M}-{end:%H:%M} is outside those hours."
            )
        if off := _time_off(clinician, starts_at, ends_at):
            breaches.append(off)
    return breaches


def _check_schedule_rules(
    *,
    location: Location,
    clinicians: list[User],
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    override_reason: str,
) -> list[str]:
    """Raises with every breach unless a clinic admin overrides them with a reason; returns the
    breaches overridden (for the audit row)."""
    override_reason = override_reason.strip()
    if override_reason and by.role != Role.CLINIC_ADMIN:
        raise ValidationError("Only a clinic admin can book outside the schedule rules.")
    breaches = schedule_rule_breaches(
        location=location, clinicians=clinicians, starts_at=starts_at, ends_at=ends_at
    )
    if breaches and not override_reason:
        hint = [OVERRIDE_HINT] if by.role == Role.CLINIC_ADMIN else []
        raise ValidationError([*breaches, *hint])
    return breaches


def _time_off(clinician: User, starts_at: datetime, ends_at: datetime) -> str | None:
    if StaffTimeOff.objects.filter(_overlapping(starts_at, ends_at), staff=clinician).exists():
        return f"{clinician.full_name} is off at that time."
    return None


def _check_time_off(*, clinicians: list[User], starts_at: datetime, ends_at: datetime) -> list[str]:
    """Time off holds even where the other schedule rules are not asked for."""
    breaches = [b for c in clinicians if (b := _time_off(c, starts_at, ends_at))]
    if breaches:
        raise ValidationError(breaches)
    return []


def _audit_override(
    *, appointment: Appointment, breaches: list[str], reason: str, by: User
) -> None:
    if breaches:
        audit_record(
            action=AuditAction.UPDATE,
            actor=by,
            obj=appointment,
            detail=f"booked outside the schedule rules ({' '.join(breaches)}) because: "
            f"{reason.strip()}"[:300],
        )


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
    by: User,
    override_reason: str = "",
    schedule_rules: bool = True,
    exclude: Appointment | None = None,
) -> list[str]:
    """Every rule of a booking; returns the schedule rules a clinic admin overrode."""
    if ends_at <= starts_at:
        raise ValidationError("An appointment must end after it starts.")
    if not room.is_active:
        raise ValidationError(f"{room.name} is not in use.")
    overridden = (
        _check_schedule_rules(
            location=room.location,
            clinicians=[c for c in (medical_monitor, therapist) if c is not None],
            starts_at=starts_at,
            ends_at=ends_at,
            by=by,
            override_reason=override_reason,
        )
        if schedule_rules
        else _check_time_off(
            clinicians=[c for c in (medical_monitor, therapist) if c is not None],
            starts_at=starts_at,
            ends_at=ends_at,
        )
    )
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
    return overridden


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
    override_reason: str = "",
    confirm: bool = True,
    schedule_rules: bool = False,
) -> Appointment:
    """Books one appointment (``confirm=False``: no confirmation of its own, its course's
    booking sends one for all). ``schedule_rules``: the pages, the API and course booking ask
    for the schedule rules (see ``schedule_rule_breaches``); code that records sessions as they
    happened (set-up, imports) leaves them off, time off aside. BookingConflictError when the
    slot is taken, ValidationError when a rule refuses it. ``override_reason`` lets a clinic
    admin book outside the schedule rules (in the past, outside opening or working hours, over
    time off); the override is audited."""
    if kind not in AppointmentKind.values:
        raise ValidationError("Unknown kind of appointment.")
    if course is not None and kind == AppointmentKind.DOSING:
        _course_overlap_check(course=course, start=starts_at, end=ends_at)
    overridden = _validate(
        patient=patient,
        kind=kind,
        course=course,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        medical_monitor=medical_monitor,
        therapist=therapist,
        by=by,
        override_reason=override_reason,
        schedule_rules=schedule_rules,
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
    _audit_override(appointment=appointment, breaches=overridden, reason=override_reason, by=by)
    reminders.appointment_reminders_request(appointment, confirm=confirm)
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
    override_reason: str = "",
) -> Appointment:
    """Moves a booked appointment under the booking rules (a clinic admin may override the
    schedule rules with a reason); its pending reminders are cancelled and asked for again."""
    appointment = Appointment.objects.select_for_update().get(id=appointment.id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidTransitionError(
            "Only a booked appointment can be moved; this one is "
            f"{appointment.get_status_display().lower()}."
        )
    room = room or appointment.room
    overridden = _validate(
        patient=appointment.patient,
        kind=appointment.kind,
        course=appointment.course,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        medical_monitor=appointment.medical_monitor,
        therapist=appointment.therapist,
        by=by,
        override_reason=override_reason,
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
    _audit_override(appointment=appointment, breaches=overridden, reason=override_reason, by=by)
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
    start_date: date,
    by: User,
    planned_dose: object = None,
) -> Course:
    """Plans a course. Anyone who schedules may propose it (the planned dose defaults to the
    protocol's); the prescriber signs the treatment plan (``course_plan_sign``) before a dose."""
    if not patient_is_cleared(patient):
        raise ValidationError("The patient has not been cleared for treatment.")
    if not protocol.is_active:
        raise ValidationError(f"{protocol.name} is not in use.")
    if prescriber.role != Role.PRESCRIBER:
        raise ValidationError("The course's prescriber must be a prescriber.")
    if therapist.role != Role.THERAPIST:
        raise ValidationError("The course's therapist must be a therapist.")
    today = timezone.now().astimezone(ZoneInfo(location.time_zone)).date()
    if start_date < today:
        raise ValidationError(
            f"A course cannot start in the past: {start_date:%-d %B %Y} is before today."
        )
    current = (
        Course.objects.filter(
            patient=patient, status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE]
        )
        .select_related("protocol")
        .first()
    )
    if current is not None:
        raise ValidationError(
            f"{patient.display_name} already has a {current.get_status_display().lower()} course "
            f"({current.protocol.name}, from {current.start_date:%-d %B %Y}). A patient has one "
            "course at a time: complete or cancel it first."
        )
    dose = _planned_dose(protocol, protocol.dose_default if planned_dose is None else planned_dose)
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


def _planned_dose(protocol: Protocol, planned_dose: object) -> Decimal:
    try:
        dose = Decimal(str(planned_dose))
    except InvalidOperation as error:
        raise ValidationError("The planned dose must be a number.") from error
    if not protocol.dose_minimum <= dose <= protocol.dose_maximum:
        raise ValidationError(
            f"The planned dose must be between {protocol.dose_minimum} and "
            f"{protocol.dose_maximum} {protocol.dose_unit} under {protocol.name}."
        )
    return dose


@transaction.atomic
def course_plan_sign(
    *, course: Course, protocol: Protocol, planned_dose: object, by: User
) -> Course:
    """The prescriber sets the protocol and planned dose and signs the treatment plan; a dose
    cannot start before. Signing again (a changed dose) replaces the signature."""
    if by.role != Role.PRESCRIBER:
        raise ValidationError("Only a prescriber can set the dose and sign the treatment plan.")
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.status in (CourseStatus.COMPLETED, CourseStatus.CANCELLED):
        raise ValidationError(f"The course is {course.get_status_display().lower()}.")
    if not protocol.is_active:
        raise ValidationError(f"{protocol.name} is not in use.")
    course.protocol = protocol
    course.planned_dose = _planned_dose(protocol, planned_dose)
    course.plan_signed_at = timezone.now()
    course.plan_signed_by = by
    course.save(update_fields=["protocol", "planned_dose", "plan_signed_at", "plan_signed_by"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        obj=course,
        detail=f"treatment plan signed: {protocol.name}, "
        f"{course.planned_dose} {protocol.dose_unit}",
    )
    return course


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
        zone = ZoneInfo(course.location.time_zone)
        first = min(proposal.starts_at for proposal in proposals).astimezone(zone)
        if first.date() < timezone.now().astimezone(zone).date():
            raise ValidationError(
                f"The course's first appointment ({first:%-d %B %Y}) is before today; "
                "plan it again from today."
            )
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
            confirm=False,
            schedule_rules=True,
        )
        for proposal in proposals
    ]
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    if booked:
        reminders.course_confirmation_request(course)
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
