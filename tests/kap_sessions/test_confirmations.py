"""Irreversible actions ask first, naming the consequence; a no-show can be undone that day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient, PatientStatus
from integration import services as note_services
from integration.models import Note
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.chart import patients_with_status
from sessions import services
from sessions.models import Appointment, AppointmentStatus, Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(patient: Patient, prescriber: User, therapist: User) -> Course:
    return CourseFactory(patient=patient, prescriber=prescriber, therapist=therapist)


@pytest.fixture
def booked(course: Course) -> Appointment:
    start = timezone.now() - timedelta(minutes=1)
    return IntegrationAppointmentFactory(
        course=course, status="booked", starts_at=start, ends_at=start + timedelta(minutes=30)
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_signing_a_note_asks_first_and_keeps_the_draft(
    booked: Appointment, therapist: User
) -> None:
    note = note_services.note_start(appointment=booked, by=therapist)
    client = _client(therapist)
    url = reverse("integration:note_save", args=[note.uuid])
    page = client.post(url, {"body": "Themes: the sea.", "sign": "1"})
    assert page.status_code == 200
    assert "Signing locks the note" in page.content.decode()
    note.refresh_from_db()
    assert note.body == "Themes: the sea."
    assert note.signed_at is None
    client.post(url, {"body": "Themes: the sea.", "sign": "1", "confirmed": "yes"})
    note.refresh_from_db()
    assert note.signed_at is not None


def test_a_no_show_asks_first_and_can_be_undone_the_same_day(
    booked: Appointment, front_desk: User
) -> None:
    client = _client(front_desk)
    url = reverse("sessions:appointment_status", args=[booked.uuid])
    page = client.post(url, {"status": "no_show"})
    assert "You can undo this until the end of the session" in page.content.decode()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    client.post(url, {"status": "no_show", "confirmed": "yes"})
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.NO_SHOW
    detail = client.get(reverse("sessions:appointment_detail", args=[booked.uuid]))
    assert "Undo the no-show" in detail.content.decode()
    client.post(reverse("sessions:appointment_no_show_undo", args=[booked.uuid]))
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(object_id=str(booked.uuid), detail="no-show undone").exists()


def test_a_no_show_of_another_day_cannot_be_undone(course: Course, front_desk: User) -> None:
    old = IntegrationAppointmentFactory(
        course=course, status="no_show", starts_at=timezone.now() - timedelta(days=2)
    )
    assert not services.no_show_undoable(old)
    response = _client(front_desk).post(
        reverse("sessions:appointment_no_show_undo", args=[old.uuid])
    )
    assert response.status_code == 400
    assert "own day only" in response.content.decode()
    old.refresh_from_db()
    assert old.status == AppointmentStatus.NO_SHOW


def test_cancelling_asks_first_naming_the_session(booked: Appointment, front_desk: User) -> None:
    client = _client(front_desk)
    url = reverse("sessions:appointment_cancel", args=[booked.uuid])
    page = client.post(url, {"reason": "Unwell"}).content.decode()
    assert "This cannot be undone" in page
    assert booked.patient.display_name in page
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    client.post(url, {"reason": "Unwell", "confirmed": "yes"})
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED


def test_discharge_from_the_practice_asks_first_and_keeps_the_reason(
    patient: Patient, prescriber: User, front_desk: User
) -> None:
    url = reverse("intake:patient_close", args=[patient.uuid])
    assert _client(front_desk).post(url, {"status": "discharged", "reason": "x"}).status_code == 403
    client = _client(prescriber)
    page = client.post(url, {"status": "discharged", "reason": "Moved away"}).content.decode()
    assert "Discharged from the practice" in page
    patient.refresh_from_db()
    assert patient.status != PatientStatus.DISCHARGED
    client.post(url, {"status": "discharged", "reason": "Moved away", "confirmed": "yes"})
    patient.refresh_from_db()
    assert patient.status == PatientStatus.DISCHARGED
    assert patient.status_reason == "Moved away"
    lifecycle = patients_with_status(Patient.objects.filter(pk=patient.pk)).get().lifecycle
    assert lifecycle == PatientStatus.DISCHARGED
    details = client.get(reverse("intake:chart_section", args=[patient.uuid, "details"]))
    assert "Moved away" in details.content.decode()


def test_declining_clearance_asks_first(patient: Patient, therapist: User) -> None:
    from tests.intake.answers import submitted_intake

    submitted_intake(patient)
    client = _client(therapist)
    url = reverse("intake:clinical_assessment_create", args=[patient.uuid])
    data = {"working_diagnoses": "", "decision": "not_cleared", "reason": "Active mania"}
    page = client.post(url, data).content.decode()
    assert "becomes not eligible for treatment" in page
    assert not Note.objects.exists()
    from intake.models import ClinicalAssessment

    assert not ClinicalAssessment.objects.exists()
    client.post(url, {**data, "confirmed": "yes"})
    assert ClinicalAssessment.objects.get().decision == "not_cleared"
