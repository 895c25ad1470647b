"""Free slots from real availability, and course planning built on them.

A slot is free when the location is open, each chosen clinician works then (clinicians with no
working hours recorded are taken to work whenever the location is open), nobody is off, and the
patient, the clinicians and a suitable room have nothing else booked. Everything is loaded once per
search, then checked in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from intake.models import Patient
from kap_clinic.accounts.models import User
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicianBooking,
    Course,
    Location,
    OpeningHours,
    Protocol,
    Room,
    RoomKind,
    StaffTimeOff,
    StaffWorkingHours,
)
from sessions.services import ProposedAppointment

SEARCH_DAYS = 28
STEP = timedelta(minutes=15)
Interval = tuple[datetime, datetime]


def _overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _rooms_for(kind: str, location: Location) -> list[Room]:
    kinds = (
        [RoomKind.TREATMENT]
        if kind == AppointmentKind.DOSING
        else [RoomKind.CONSULTATION, RoomKind.TELEHEALTH, RoomKind.TREATMENT]
    )
    rooms = list(location.rooms.filter(is_active=True, kind__in=kinds))
    return sorted(rooms, key=lambda room: (kinds.index(RoomKind(room.kind)), room.name))


@dataclass
class _Busy:
    patient: list[Interval] = field(default_factory=list)
    patient_doses: list[datetime] = field(default_factory=list)
    clinicians: dict[int, list[Interval]] = field(default_factory=lambda: defaultdict(list))
    rooms: dict[int, list[Interval]] = field(default_factory=lambda: defaultdict(list))

    def add(self, proposal: ProposedAppointment) -> None:
        span = (proposal.starts_at, proposal.ends_at)
        self.patient.append(span)
        if proposal.kind == AppointmentKind.DOSING:
            self.patient_doses.append(proposal.starts_at)
        for clinician in (proposal.medical_monitor, proposal.therapist):
            if clinician is not None:
                self.clinicians[clinician.id].append(span)
        if not proposal.room.is_virtual:
            self.rooms[proposal.room.id].append(span)


def _load_busy(
    *, patient: Patient, clinicians: list[User], window: Interval, rooms: list[Room]
) -> _Busy:
    busy = _Busy()
    overlapping = Q(starts_at__lt=window[1], ends_at__gt=window[0])
    active = Appointment.objects.exclude(status=AppointmentStatus.CANCELLED).filter(overlapping)
    for appointment in active.filter(patient=patient):
        busy.patient.append((appointment.starts_at, appointment.ends_at))
    # Spacing looks a little beyond the window, at doses that are not cancelled or missed.
    doses = Appointment.objects.filter(
        patient=patient,
        kind=AppointmentKind.DOSING,
        starts_at__gt=window[0] - timedelta(days=14),
        starts_at__lt=window[1] + timedelta(days=14),
    ).exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
    busy.patient_doses.extend(doses.values_list("starts_at", flat=True))
    clinician_ids = [c.id for c in clinicians]
    for booking in ClinicianBooking.objects.filter(
        overlapping, clinician_id__in=clinician_ids, is_cancelled=False
    ):
        busy.clinicians[booking.clinician_id].append((booking.starts_at, booking.ends_at))
    for off in StaffTimeOff.objects.filter(overlapping, staff_id__in=clinician_ids):
        busy.clinicians[off.staff_id].append((off.starts_at, off.ends_at))
    for appointment in active.filter(room__in=rooms, room_exclusive=True):
        busy.rooms[appointment.room_id].append((appointment.starts_at, appointment.ends_at))
    return busy


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    room: Room


def free_slots(
    *,
    kind: str,
    patient: Patient,
    location: Location,
    duration: timedelta,
    medical_monitor: User | None = None,
    therapist: User | None = None,
    start_day: date,
    days: int = SEARCH_DAYS,
    limit: int = 10,
    not_before: datetime | None = None,
    protocol: Protocol | None = None,
    planned: Iterable[ProposedAppointment] = (),
) -> list[Slot]:
    """The first ``limit`` free slots from ``start_day`` (location time) over ``days`` days."""
    zone = ZoneInfo(location.time_zone)
    clinicians = [c for c in (medical_monitor, therapist) if c is not None]
    window = (
        datetime.combine(start_day, time.min, tzinfo=zone),
        datetime.combine(start_day + timedelta(days=days), time.min, tzinfo=zone),
    )
    rooms = _rooms_for(kind, location)
    busy = _load_busy(patient=patient, clinicians=clinicians, window=window, rooms=rooms)
    for proposal in planned:
        busy.add(proposal)
    opening: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for hours in OpeningHours.objects.filter(location=location):
        opening[hours.weekday].append((hours.opens_at, hours.closes_at))
    working: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for shift in StaffWorkingHours.objects.filter(location=location, staff__in=clinicians):
        working[shift.staff_id][shift.weekday].append((shift.starts_at, shift.ends_at))
    has_hours = set(
        StaffWorkingHours.objects.filter(staff__in=clinicians)
        .values_list("staff_id", flat=True)
        .distinct()
    )
    spacing = timedelta(hours=protocol.minimum_spacing_hours) if protocol else None

    def clinician_works(clinician: User, span: Interval) -> bool:
        if clinician.id not in has_hours:
            return True
        local_day = span[0].astimezone(zone)
        return any(
            datetime.combine(local_day.date(), start, tzinfo=zone) <= span[0]
            and span[1] <= datetime.combine(local_day.date(), end, tzinfo=zone)
            for start, end in working[clinician.id][local_day.weekday()]
        )

    slots: list[Slot] = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        for opens, closes in sorted(opening[day.weekday()]):
            start = datetime.combine(day, opens, tzinfo=zone)
            close = datetime.combine(day, closes, tzinfo=zone)
            while start + duration <= close:
                span = (start, start + duration)
                start += STEP
                if not_before is not None and span[0] < not_before:
                    continue
                if any(_overlaps(span, other) for other in busy.patient):
                    continue
                if (
                    kind == AppointmentKind.DOSING
                    and spacing is not None
                    and any(abs(span[0] - dose) < spacing for dose in busy.patient_doses)
                ):
                    continue
                if any(
                    not clinician_works(c, span)
                    or any(_overlaps(span, other) for other in busy.clinicians[c.id])
                    for c in clinicians
                ):
                    continue
                room = next(
                    (
                        r
                        for r in rooms
                        if r.is_virtual
                        or not any(_overlaps(span, other) for other in busy.rooms[r.id])
                    ),
                    None,
                )
                if room is None:
                    continue
                slots.append(Slot(span[0], span[1], room))
                if len(slots) >= limit:
                    return slots
    return slots


@dataclass
class CoursePlan:
    proposals: list[ProposedAppointment]
    warnings: list[str]


def course_plan(*, course: Course) -> CoursePlan:
    """Proposes a course's appointments: a preparation session, then each dose at the protocol's
    interval with an integration session 1-3 days after it, from real availability."""
    protocol = course.protocol
    proposals: list[ProposedAppointment] = []
    warnings: list[str] = []

    def first(
        kind: str, minutes: int, start_day: date, days: int, not_before: datetime | None = None
    ) -> ProposedAppointment | None:
        monitor = course.prescriber if kind == AppointmentKind.DOSING else None
        found = free_slots(
            kind=kind,
            patient=course.patient,
            location=course.location,
            duration=timedelta(minutes=minutes),
            medical_monitor=monitor,
            therapist=course.therapist,
            start_day=start_day,
            days=days,
            limit=1,
            not_before=not_before,
            protocol=protocol,
            planned=proposals,
        )
        if not found:
            return None
        slot = found[0]
        return ProposedAppointment(
            kind=kind,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            room=slot.room,
            medical_monitor=monitor,
            therapist=course.therapist,
        )

    preparation = first(
        AppointmentKind.PREPARATION, protocol.preparation_minutes, course.start_date, SEARCH_DAYS
    )
    if preparation is None:
        return CoursePlan([], ["No free preparation slot in the next 4 weeks."])
    proposals.append(preparation)
    zone = ZoneInfo(course.location.time_zone)
    next_day = preparation.starts_at.astimezone(zone).date() + timedelta(days=1)
    not_before = preparation.ends_at
    for number in range(1, protocol.dosing_sessions + 1):
        dose = first(
            AppointmentKind.DOSING, protocol.dosing_minutes, next_day, SEARCH_DAYS, not_before
        )
        if dose is None:
            warnings.append(f"No free slot for dose {number} in the 4 weeks searched.")
            break
        proposals.append(dose)
        dose_day = dose.starts_at.astimezone(zone).date()
        integration = first(
            AppointmentKind.INTEGRATION,
            protocol.integration_minutes,
            dose_day + timedelta(days=1),
            3,
        )
        if integration is None:
            warnings.append(f"No free integration slot 1-3 days after dose {number}.")
        else:
            proposals.append(integration)
        next_day = dose_day + timedelta(days=protocol.planned_interval_days)
        not_before = dose.ends_at
    proposals.sort(key=lambda proposal: proposal.starts_at)
    return CoursePlan(proposals, warnings)
