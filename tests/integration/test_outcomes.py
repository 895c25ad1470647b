from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import InstrumentResponse, Patient
from kap_clinic.accounts.models import User
from sessions.models import Course, CourseStatus
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

FIRST_DOSE = datetime(2026, 3, 10, 9, tzinfo=UTC)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _phq9(patient: Patient, when: datetime, total: int) -> None:
    InstrumentResponse.objects.create(
        patient=patient,
        instrument_key="phq9",
        instrument_version="1",
        answers={},
        total=total,
        band="x",
        band_label="x",
        recorded_at=when,
    )


def _completed_course(baseline: int, latest: int, **fields: object) -> Course:
    course = CourseFactory(status=CourseStatus.COMPLETED, **fields)
    IntegrationAppointmentFactory(
        course=course,
        kind="dosing",
        starts_at=FIRST_DOSE,
        ends_at=FIRST_DOSE + timedelta(hours=2),
    )
    _phq9(course.patient, FIRST_DOSE - timedelta(days=1), baseline)
    _phq9(course.patient, FIRST_DOSE + timedelta(days=20), latest)
    return course


def test_outcome_rates_against_hand_computed_courses(clinic_admin: User) -> None:
    _completed_course(20, 10)  # response (exactly 50%), no remission; change -10
    _completed_course(9, 4)  # response and remission; change -5
    _completed_course(20, 15)  # neither; change -5
    CourseFactory(status=CourseStatus.ACTIVE)
    response = _client(clinic_admin).get(reverse("integration:clinic_outcomes"))
    content = response.content.decode()
    assert "67% (2 of 3)" in content
    assert "33% (1 of 3)" in content
    assert "-6.7" in content
    result = response.context["result"]
    assert (result.in_course, result.completed, result.with_outcome) == (1, 3, 3)


def test_outcomes_filter_by_protocol_and_dates(clinic_admin: User) -> None:
    chosen = _completed_course(20, 4)
    _completed_course(20, 19)
    client = _client(clinic_admin)
    result = client.get(
        reverse("integration:clinic_outcomes"), {"protocol": str(chosen.protocol.uuid)}
    ).context["result"]
    assert (result.completed, result.responders, result.remitters) == (1, 1, 1)
    result = client.get(
        reverse("integration:clinic_outcomes"), {"start": "2030-01-01", "end": "bad"}
    ).context["result"]
    assert result.completed == 0


def test_outcomes_query_budget_holds_with_1_and_50_patients(
    django_assert_max_num_queries: object, clinic_admin: User
) -> None:
    client = _client(clinic_admin)
    url = reverse("integration:clinic_outcomes")
    _completed_course(20, 8)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).context["result"].completed == 1
    for _ in range(49):
        _completed_course(20, 8)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).context["result"].completed == 50


def test_front_desk_and_patients_cannot_open_the_outcomes_page(
    front_desk: User, patient_user: User
) -> None:
    for user in (front_desk, patient_user):
        assert _client(user).get(reverse("integration:clinic_outcomes")).status_code == 403


def test_trend_page_shows_each_instrument_with_flags(
    patient: Patient, therapist: User, patient_user: User, front_desk: User, outsider: User
) -> None:
    course = CourseFactory(patient=patient, therapist=therapist)
    IntegrationAppointmentFactory(
        course=course,
        kind="dosing",
        status="completed",
        starts_at=FIRST_DOSE,
        ends_at=FIRST_DOSE + timedelta(hours=2),
    )
    _phq9(patient, FIRST_DOSE - timedelta(days=1), 12)
    _phq9(patient, FIRST_DOSE + timedelta(days=14), 4)
    url = reverse("integration:patient_trends", args=[patient.uuid])
    for user in (therapist, patient_user):
        content = _client(user).get(url).content.decode()
        assert "PHQ-9 over time" in content
        assert 'class="dose"' in content
        assert "Remission</span>" in content
        assert "Response</span>" in content
    assert _client(front_desk).get(url).status_code == 404
    assert _client(outsider).get(url).status_code == 404
