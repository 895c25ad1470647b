"""The patient's status, derived from the record, is the same on the landing page, the list,
the chart and the outcomes page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.chart import patients_with_status
from sessions.models import Course, CourseStatus, DoseAdministration, DosingRecord
from tests.factories import CourseFactory, IntegrationAppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _dose(course: Course, *, days_ago: int = 10) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    appointment = IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=when, ends_at=when + timedelta(hours=2)
    )
    record = DosingRecord.objects.create(appointment=appointment, status="discharged")
    DoseAdministration.objects.create(
        dosing_record=record,
        drug="ketamine",
        route="iv",
        dose_mg=Decimal("30"),
        lot_number="L1",
        started_at=when,
        ended_at=when + timedelta(minutes=40),
        given_by=course.prescriber,
    )


def _status(patient: Patient) -> str:
    return patients_with_status(Patient.objects.filter(pk=patient.pk)).get().lifecycle


def _record_at_every_stage() -> dict[str, Patient]:
    stages = {
        "invited": PatientFactory(status=PatientStatus.INVITED),
        "screened": PatientFactory(status=PatientStatus.SCREENED),
        "discharged": PatientFactory(status=PatientStatus.DISCHARGED),
    }
    cleared = CourseFactory(status=CourseStatus.PLANNED)
    stages["cleared"] = cleared.patient
    in_treatment = CourseFactory(status=CourseStatus.ACTIVE)
    _dose(in_treatment)
    stages["in_treatment"] = in_treatment.patient
    completed = CourseFactory(status=CourseStatus.COMPLETED)
    _dose(completed, days_ago=20)
    stages["completed"] = completed.patient
    maintenance = CourseFactory(status=CourseStatus.COMPLETED)
    _dose(maintenance, days_ago=60)
    CourseFactory(
        patient=maintenance.patient,
        status=CourseStatus.PLANNED,
        prescriber=maintenance.prescriber,
        therapist=maintenance.therapist,
    )
    stages["maintenance"] = maintenance.patient
    inactive = CourseFactory(status=CourseStatus.COMPLETED)
    _dose(inactive, days_ago=400)
    stages["inactive"] = inactive.patient
    return stages


def test_each_stage_is_derived_from_the_record() -> None:
    for expected, patient in _record_at_every_stage().items():
        assert _status(patient) == expected, expected


def test_the_first_dose_puts_a_cleared_patient_in_treatment() -> None:
    course = CourseFactory(status=CourseStatus.ACTIVE)
    assert _status(course.patient) == PatientStatus.CLEARED
    _dose(course)
    assert _status(course.patient) == PatientStatus.IN_TREATMENT


def test_landing_counts_the_list_and_the_outcomes_page_agree(
    client: Client, clinic_admin: User
) -> None:
    stages = _record_at_every_stage()
    client.force_login(clinic_admin)
    landing = client.get(reverse("accounts:clinic_admin"))
    panel = next(
        context
        for panel, context in landing.context["panels"]
        if panel.key == "intake.patients_by_status"
    )
    counts = {status.value: total for status, total in panel["rows"]}
    outcomes = client.get(reverse("integration:clinic_outcomes")).context["report"]
    assert counts[PatientStatus.IN_TREATMENT] == outcomes.in_treatment == 1
    assert counts[PatientStatus.COMPLETED] == outcomes.course_completed == 1
    assert counts[PatientStatus.MAINTENANCE] == outcomes.maintenance == 1
    patient_list = client.get(reverse("intake:patient_list")).content.decode()
    assert "In treatment" in patient_list
    assert "Course completed" in patient_list
    chart = client.get(reverse("intake:patient_detail", args=[stages["maintenance"].uuid]))
    assert "Maintenance" in chart.content.decode()
