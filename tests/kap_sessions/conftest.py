"""Fixtures of the sessions tests: a clinic open every day 08:00-18:00 in New York."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from sessions import dosing, services
from sessions.models import (
    Appointment,
    AppointmentKind,
    Course,
    DosingRecord,
    Location,
    OpeningHours,
    Protocol,
    Readiness,
    Room,
    RoomKind,
)
from tests.factories import (
    CourseFactory,
    LocationFactory,
    ProtocolFactory,
    RoomFactory,
    rems_ready,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An aware time in the clinic's zone (New York)."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def override_every_no_go(readiness: Readiness, prescriber: User) -> None:
    """A prescriber overrides each current no-go reason on its own (tests that skip readiness)."""
    for no_go in dosing.readiness_no_go(readiness):
        if no_go.override is None:
            dosing.readiness_override(
                readiness=readiness, code=no_go.code, reason="test", by=prescriber
            )


def backdate_check_in(record: DosingRecord, moment: datetime) -> DosingRecord:
    """As if the patient had checked in at ``moment`` (tests that record times in the past)."""
    Appointment.objects.filter(id=record.appointment_id).update(checked_in_at=moment)
    DosingRecord.objects.filter(id=record.id).update(arrived_at=moment)
    return DosingRecord.objects.get(id=record.id)


def room_emergency_check_complete(room: Room, *, by: User, on: datetime | None = None) -> None:
    """The emergency checklist of ``room`` for the day of ``on`` (today by default), every item
    present (doses need it). A past day's row is written directly: the service only records
    today's, as staff do."""
    from sessions.models import DosingPolicy
    from sessions.monitoring.models import RoomEmergencyCheck
    from sessions.monitoring.services import room_check_record, room_local_day

    day = room_local_day(room, on or timezone.now())
    medicines = DosingPolicy.current().rescue_medicines
    if day != room_local_day(room, timezone.now()):
        RoomEmergencyCheck.objects.get_or_create(
            room=room,
            day=day,
            defaults={
                "checked_by": by,
                "pulse_oximeter": True,
                "blood_pressure_cuff": True,
                "oxygen": True,
                "suction": True,
                "aed": True,
                "rescue_medicines_required": medicines,
                "rescue_medicines_present": medicines,
            },
        )
        return
    room_check_record(
        room=room,
        day=day,
        by=by,
        pulse_oximeter=True,
        blood_pressure_cuff=True,
        oxygen=True,
        suction=True,
        aed=True,
        rescue_medicines_present=medicines,
    )


@pytest.fixture
def clinic() -> Location:
    location = LocationFactory(name="Test Clinic", time_zone="America/New_York")
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=time(8), closes_at=time(18)
        )
    return location


@pytest.fixture
def room(clinic: Location, therapist: User) -> Room:
    """A treatment room whose emergency checklist is complete today (doses need it)."""
    room = RoomFactory(location=clinic, name="Treatment 1", kind=RoomKind.TREATMENT)
    room_emergency_check_complete(room, by=therapist)
    return room


@pytest.fixture
def room_two(clinic: Location, therapist: User) -> Room:
    room = RoomFactory(location=clinic, name="Treatment 2", kind=RoomKind.TREATMENT)
    room_emergency_check_complete(room, by=therapist)
    return room


@pytest.fixture
def telehealth(clinic: Location) -> Room:
    return RoomFactory(location=clinic, name="Telehealth", kind=RoomKind.TELEHEALTH)


@pytest.fixture
def cleared_patient(patient: Patient) -> Patient:
    patient.status = PatientStatus.CLEARED
    patient.time_zone = "America/New_York"
    patient.save(update_fields=["status", "time_zone"])
    return patient


@pytest.fixture
def iv_protocol() -> Protocol:
    return ProtocolFactory(name="IV test protocol")


@pytest.fixture
def esketamine_protocol() -> Protocol:
    return ProtocolFactory(name="Esketamine test protocol", esketamine=True)


@pytest.fixture
def course(
    cleared_patient: Patient,
    iv_protocol: Protocol,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> Course:
    return CourseFactory(
        patient=cleared_patient,
        protocol=iv_protocol,
        location=clinic,
        prescriber=prescriber,
        therapist=therapist,
        created_by=front_desk,
    )


@pytest.fixture
def esketamine_course(
    cleared_patient: Patient,
    esketamine_protocol: Protocol,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> Course:
    """An esketamine course of a patient enrolled in the REMS at a certified clinic."""
    rems_ready(cleared_patient, clinic, by=prescriber)
    return CourseFactory(
        patient=cleared_patient,
        protocol=esketamine_protocol,
        location=clinic,
        prescriber=prescriber,
        therapist=therapist,
        planned_dose=56,
        created_by=front_desk,
    )


@pytest.fixture
def record(course: Course, room: Room, front_desk: User) -> DosingRecord:
    """A dosing session under way: checked in 30 minutes ago, go overridden, 35 mg given."""
    start = timezone.now() - timedelta(minutes=30)
    appointment = services.appointment_book(
        patient=course.patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        course=course,
        medical_monitor=course.prescriber,
        therapist=course.therapist,
        by=front_desk,
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    record = DosingRecord.objects.get(appointment=appointment)
    readiness = dosing.readiness_for(appointment)
    readiness.weight_kg = Decimal("70")
    readiness.save()
    override_every_no_go(readiness, course.prescriber)
    dosing.dosing_start(record=record, by=course.prescriber)
    now = timezone.now()
    dosing.dose_administer(
        record=record,
        dose_mg="35",
        lot_number="LOT-77",
        started_at=now,
        ended_at=now,
        by=course.prescriber,
    )
    return record
