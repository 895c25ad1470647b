"""A patient's whole synthetic record, touching every FHIR resource the API maps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.models import (
    ClinicalAssessment,
    ConsentDocument,
    ConsentKind,
    ConsentSignature,
    Decision,
    InstrumentResponse,
    IntakeForm,
    IntakeStatus,
    MedicalAssessment,
    Patient,
)
from integration.models import Note, NoteAddendum, NoteKind, PsychotherapyNote
from kap_clinic.accounts.models import User
from kap_clinic.clinic.models import Organisation, StaffProfile
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    DoseAdministration,
    DosingRecord,
    Readiness,
    Severity,
    VitalsEntry,
)
from tests.factories import CourseFactory, LocationFactory, ProtocolFactory, RoomFactory

PSYCHOTHERAPY_SECRET = "Process note words that must never leave the author"
PHQ9_ANSWERS = {f"item{n}": value for n, value in enumerate([2, 2, 1, 1, 0, 1, 2, 1, 0], 1)}
GAD7_ANSWERS = {f"item{n}": 1 for n in range(1, 8)}


@dataclass
class Record:
    patient: Patient
    course: Course
    dosing: Appointment
    integration: Appointment
    note: Note
    phq9: InstrumentResponse
    gad7: InstrumentResponse
    vitals: VitalsEntry
    dose: DoseAdministration


def build_record(
    patient: Patient, prescriber: User, therapist: User, *, at: object = None
) -> Record:
    now = timezone.now() - timedelta(days=3)
    intake = IntakeForm.objects.create(
        patient=patient, status=IntakeStatus.SUBMITTED, submitted_at=now - timedelta(days=20)
    )
    document, _ = ConsentDocument.objects.get_or_create(
        kind=ConsentKind.TREATMENT,
        version=1,
        defaults={"title": "Informed consent", "text": "Synthetic consent text."},
    )
    ConsentSignature.objects.create(
        intake=intake, document=document, typed_name="Synthetic Name", agreed=True
    )
    phq9 = InstrumentResponse.objects.create(
        patient=patient,
        intake=intake,
        instrument_key="phq9",
        instrument_version="2001",
        answers=PHQ9_ANSWERS,
        total=sum(PHQ9_ANSWERS.values()),
        band="moderate",
        band_label="Moderate",
        recorded_at=now - timedelta(days=20),
    )
    gad7 = InstrumentResponse.objects.create(
        patient=patient,
        instrument_key="gad7",
        instrument_version="2006",
        answers=GAD7_ANSWERS,
        total=7,
        band="mild",
        band_label="Mild",
        recorded_at=now - timedelta(days=1),
    )
    MedicalAssessment.objects.create(
        patient=patient,
        intake=intake,
        assessed_by=prescriber,
        decision=Decision.CLEARED,
        blood_pressure_systolic=128,
        blood_pressure_diastolic=82,
        heart_rate=72,
        oxygen_saturation=98,
        weight_kg=Decimal("70.5"),
        history_review="Synthetic review.",
    )
    ClinicalAssessment.objects.create(
        patient=patient,
        intake=intake,
        assessed_by=therapist,
        decision=Decision.CLEARED,
        working_diagnoses="Major depressive disorder, recurrent (synthetic)",
    )
    location = LocationFactory()
    course = CourseFactory(
        patient=patient,
        protocol=ProtocolFactory(),
        location=location,
        prescriber=prescriber,
        therapist=therapist,
        created_by=prescriber,
        start_date=date(2026, 1, 5),
    )
    room = RoomFactory(location=location)
    dosing = Appointment.objects.create(
        patient=patient,
        course=course,
        kind=AppointmentKind.DOSING,
        location=location,
        room=room,
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        medical_monitor=prescriber,
        therapist=therapist,
        status=AppointmentStatus.COMPLETED,
        checked_in_at=now,
        created_by=prescriber,
    )
    integration = Appointment.objects.create(
        patient=patient,
        course=course,
        kind=AppointmentKind.INTEGRATION,
        location=location,
        room=room,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
        therapist=therapist,
        status=AppointmentStatus.COMPLETED,
        created_by=prescriber,
    )
    record = DosingRecord.objects.create(appointment=dosing, started_at=now, started_by=prescriber)
    Readiness.objects.create(appointment=dosing, weight_kg=Decimal("70.0"), staff_checked_at=now)
    dose = DoseAdministration.objects.create(
        dosing_record=record,
        drug="ketamine",
        route="iv",
        dose_mg=Decimal("35.00"),
        dose_mg_per_kg=Decimal("0.500"),
        weight_kg=Decimal("70.0"),
        lot_number="LOT-SYN-42",
        started_at=now + timedelta(minutes=5),
        ended_at=now + timedelta(minutes=45),
        given_by=prescriber,
    )
    vitals = VitalsEntry.objects.create(
        dosing_record=record,
        taken_at=now + timedelta(minutes=40),
        blood_pressure_systolic=144,
        blood_pressure_diastolic=91,
        heart_rate=88,
        spo2=97,
        respiratory_rate=14,
        recorded_by=prescriber,
    )
    AdverseEvent.objects.create(
        dosing_record=record,
        occurred_at=now + timedelta(minutes=30),
        description="Nausea",
        severity=Severity.MILD,
        action_taken="Ondansetron offered",
        recorded_by=prescriber,
    )
    note = Note.objects.create(
        patient=patient,
        appointment=integration,
        course=course,
        kind=NoteKind.INTEGRATION,
        author=therapist,
        body="Synthetic integration note.",
        signed_at=now + timedelta(days=1, hours=2),
        content_hash="a" * 64,
    )
    NoteAddendum.objects.create(
        note=note, author=therapist, body="Synthetic addendum.", content_hash="b" * 64
    )
    Note.objects.create(
        patient=patient,
        appointment=dosing,
        course=course,
        kind=NoteKind.DOSING,
        author=prescriber,
        body="Unsigned draft.",
    )
    PsychotherapyNote.objects.create(
        patient=patient, appointment=integration, author=therapist, body=PSYCHOTHERAPY_SECRET
    )
    return Record(patient, course, dosing, integration, note, phq9, gad7, vitals, dose)


@pytest.fixture
def organisation() -> Organisation:
    return Organisation.objects.create(
        id=1, legal_name="Synthetic Clinic LLC", address="1 Test Way", phone="555-0100"
    )


@pytest.fixture
def record(
    patient: Patient, prescriber: User, therapist: User, organisation: Organisation
) -> Record:
    StaffProfile.objects.create(user=prescriber, npi="1234567893")
    return build_record(patient, prescriber, therapist)
