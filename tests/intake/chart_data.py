"""A patient's whole record for the chart tests: ``rows`` of each kind of thing (synthetic)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from intake.models import InstrumentResponse, Invitation, Patient
from integration.models import (
    MeasureOccasion,
    MeasureRequest,
    Note,
    NoteKind,
    Reflection,
    content_hash,
)
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.models import Message, MessageStatus
from sessions.models import AdverseEvent, DoseAdministration, DosingRecord, DosingStatus
from tests.factories import CourseFactory, IntegrationAppointmentFactory
from tests.intake.answers import submitted_intake


def chart_record(patient: Patient, *, rows: int = 1) -> None:
    """The patient's intake submitted, plus ``rows`` of every other kind of record."""
    prescriber: User = patient.prescriber  # type: ignore[assignment]
    therapist: User = patient.therapist  # type: ignore[assignment]
    now = timezone.now()
    Invitation.objects.create(
        patient=patient, created_at=now - timedelta(days=400), expires_at=now - timedelta(days=393)
    )
    submitted_intake(
        patient,
        medical={"allergies": "yes", "allergy_details": "penicillin", "arrhythmia": "yes"},
    )
    course = CourseFactory(patient=patient, prescriber=prescriber, therapist=therapist)
    for n in range(rows):
        dosing = IntegrationAppointmentFactory(course=course, kind="dosing")
        record = DosingRecord.objects.create(
            appointment=dosing, status=DosingStatus.DISCHARGED, started_at=dosing.starts_at
        )
        DoseAdministration.objects.create(
            dosing_record=record,
            drug="ketamine",
            route="iv",
            dose_mg=Decimal("35"),
            lot_number=f"LOT{n}",
            started_at=dosing.starts_at,
            ended_at=dosing.starts_at + timedelta(minutes=40),
            given_by=prescriber,
        )
        if n == 0:
            AdverseEvent.objects.create(
                dosing_record=record,
                occurred_at=dosing.starts_at,
                description="Nausea",
                severity="mild",
                action_taken="Ondansetron",
                recorded_by=prescriber,
            )
        integration = IntegrationAppointmentFactory(course=course, kind="integration")
        body = "Integration themes:\nThe patient spoke about the session."
        Note.objects.create(
            patient=patient,
            appointment=integration,
            course=course,
            kind=NoteKind.INTEGRATION,
            author=therapist,
            body=body,
            signed_at=integration.ends_at,
            content_hash=content_hash(body),
        )
        response = InstrumentResponse.objects.create(
            patient=patient,
            instrument_key="phq9",
            instrument_version="test",
            answers={},
            total=10 + n % 5,
            band="moderate",
            band_label="Moderate",
            recorded_at=now - timedelta(days=n + 1),
        )
        MeasureRequest.objects.create(
            patient=patient,
            course=course,
            instrument_key="phq9",
            occasion=MeasureOccasion.WEEKLY,
            due_at=now - timedelta(days=n + 2),
            expires_at=now + timedelta(days=5),
            answered_at=response.recorded_at,
            response=response,
        )
        Reflection.objects.create(
            patient=patient, course=course, text=f"Reflection {n}", shared_with_therapist=True
        )
        Message.objects.create(
            recipient_kind="patient",
            recipient_id=str(patient.uuid),
            channel="email",
            template_key="sessions.session_reminder_24h",
            send_at=now - timedelta(hours=n + 1),
            sent_at=now - timedelta(hours=n + 1),
            status=MessageStatus.SENT,
            idempotency_key=f"chart-test-{patient.uuid}-{n}",
        )
        audit_record(action=AuditAction.READ, actor=therapist, obj=patient, detail="test read")
