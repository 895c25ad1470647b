from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import InstrumentResponse, OutsideProvider, Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import AdverseEvent, Course, DoseAdministration, DosingRecord
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def completed_course(course: Course, prescriber: User) -> Course:
    appointment = IntegrationAppointmentFactory(course=course, kind="dosing")
    record = DosingRecord.objects.create(appointment=appointment, status="discharged")
    DoseAdministration.objects.create(
        dosing_record=record,
        drug="ketamine",
        route="iv",
        dose_mg=Decimal("35.00"),
        lot_number="LOT-1",
        started_at=appointment.starts_at,
        ended_at=appointment.starts_at + timedelta(minutes=40),
        given_by=prescriber,
    )
    AdverseEvent.objects.create(
        dosing_record=record,
        occurred_at=appointment.starts_at + timedelta(minutes=30),
        description="Nausea",
        severity="mild",
        action_taken="Rest",
        recorded_by=prescriber,
    )
    for when, total in ((appointment.starts_at - timedelta(days=1), 16), (appointment.ends_at, 4)):
        InstrumentResponse.objects.create(
            patient=course.patient,
            instrument_key="phq9",
            instrument_version="1",
            answers={},
            total=total,
            band="x",
            band_label="x",
            recorded_at=when,
        )
    course.status = "completed"
    course.save(update_fields=["status"])
    return course


def test_the_summary_lists_sessions_doses_adverse_events_and_scores(
    completed_course: Course, prescriber: User
) -> None:
    content = (
        _client(prescriber)
        .get(reverse("integration:course_summary", args=[completed_course.uuid]))
        .content.decode()
    )
    assert "Dosing: 1" in content
    assert "35.00" in content
    assert "Nausea" in content
    assert "16 at the course's baseline" in content
    assert "4 at the end of treatment" in content
    assert "Remission (PHQ-9 below 5)" in content
    assert "Response (fall of 50% or more)" in content


def test_the_letter_needs_the_patients_consent_to_coordinate(
    completed_course: Course, therapist: User, patient: Patient
) -> None:
    url = reverse("integration:course_letter", args=[completed_course.uuid])
    client = _client(therapist)
    assert client.get(url).status_code == 409
    OutsideProvider.objects.create(
        patient=patient, kind="psychiatrist", name="Dr. Outside", consent_to_coordinate=False
    )
    assert client.get(url).status_code == 409
    OutsideProvider.objects.create(
        patient=patient, kind="primary_care", name="Dr. Family", consent_to_coordinate=True
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"Dr. Family" in response.content
    assert b"Dr. Outside" not in response.content
    assert AuditEvent.objects.filter(action="export", object_id=str(completed_course.uuid)).exists()


def test_a_course_not_completed_has_no_summary_yet(course: Course, therapist: User) -> None:
    response = _client(therapist).get(reverse("integration:course_summary", args=[course.uuid]))
    assert b"when the course completes" in response.content


def test_front_desk_and_outsiders_cannot_read_the_summary(
    completed_course: Course, front_desk: User, outsider: User
) -> None:
    url = reverse("integration:course_summary", args=[completed_course.uuid])
    assert _client(front_desk).get(url).status_code == 403
    assert _client(outsider).get(url).status_code == 404


def test_the_summary_uses_only_the_courses_own_scores(
    completed_course: Course, therapist: User
) -> None:
    """Regression: a later course's scores were read as this course's latest measure."""
    later = IntegrationAppointmentFactory(
        course=completed_course,
        kind="integration",
        starts_at=completed_course.appointments.get().starts_at + timedelta(days=200),
    )
    InstrumentResponse.objects.create(
        patient=completed_course.patient,
        instrument_key="phq9",
        instrument_version="1",
        answers={},
        total=25,
        band="x",
        band_label="x",
        recorded_at=later.starts_at + timedelta(days=400),
    )
    content = (
        _client(therapist)
        .get(reverse("integration:course_summary", args=[completed_course.uuid]))
        .content.decode()
    )
    assert "4 at the end of treatment" in content
    assert "25 at" not in content


def test_a_therapist_sees_the_summary_and_letter_without_the_doses(
    completed_course: Course, therapist: User, prescriber: User, patient: Patient
) -> None:
    OutsideProvider.objects.create(
        patient=patient, kind="primary_care", name="Dr. Family", consent_to_coordinate=True
    )
    for name in ("integration:course_summary", "integration:course_letter"):
        url = reverse(name, args=[completed_course.uuid])
        content = _client(therapist).get(url).content.decode()
        assert "Nausea" in content
        assert "35.00" not in content
        assert "Dose (mg)" not in content
        assert "35.00" in _client(prescriber).get(url).content.decode()
