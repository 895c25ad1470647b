"""Protocol measure schedules, and measures a clinician enters in session (MADRS, on behalf)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import InstrumentResponse
from integration import measures
from integration.models import MeasureEntry, MeasureOccasion, MeasureRequest, MeasureSchedule
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.models import Message
from sessions.models import Course
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

MADRS_ANSWERS = {f"item{n}": "3" for n in range(1, 11)}
PHQ9_ANSWERS = {f"item{n}": "1" for n in range(1, 10)} | {"item9": "0"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def utc_course(course: Course) -> Course:
    course.location.time_zone = "UTC"
    course.location.save(update_fields=["time_zone"])
    course.start_date = date(2026, 12, 1)
    course.save(update_fields=["start_date"])
    return course


def _session(course: Course, kind: str, when: datetime) -> None:
    IntegrationAppointmentFactory(
        course=course, kind=kind, starts_at=when, ends_at=when + timedelta(hours=2)
    )


def test_a_protocols_own_schedule_against_a_hand_computed_course(utc_course: Course) -> None:
    for key, occasion in [
        ("phq9", "before_dose"),
        ("phq9", "before_integration"),
        ("phq9", "month_6"),
        ("gad7", "weekly"),
        ("gad7", "month_1"),
        ("gad7", "month_3"),
        ("madrs", "once"),
    ]:
        MeasureSchedule.objects.create(
            protocol=utc_course.protocol, instrument_key=key, occasion=occasion
        )
    _session(utc_course, "dosing", datetime(2026, 12, 2, 10, tzinfo=UTC))
    _session(utc_course, "integration", datetime(2026, 12, 4, 10, tzinfo=UTC))
    _session(utc_course, "dosing", datetime(2026, 12, 9, 10, tzinfo=UTC))
    end = datetime(2026, 12, 9, 12, tzinfo=UTC)  # the last session ends
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    dues = {(d.instrument_key, d.occasion, d.due_at) for d in measures.measure_schedule(utc_course)}
    assert dues == {
        ("phq9", "baseline", start - timedelta(days=2)),
        ("phq9", "before_dose", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("phq9", "before_integration", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("phq9", "before_dose", datetime(2026, 12, 8, 10, tzinfo=UTC)),
        ("phq9", "month_6", end + timedelta(days=180)),
        ("gad7", "baseline", start - timedelta(days=2)),
        ("gad7", "weekly", start + timedelta(days=7)),
        ("gad7", "month_1", end + timedelta(days=30)),
        ("gad7", "month_3", end + timedelta(days=90)),
        ("madrs", "once", start - timedelta(days=2)),
    }


def test_a_clinician_rated_measure_is_planned_but_never_sent_to_the_patient(
    utc_course: Course,
) -> None:
    MeasureSchedule.objects.create(
        protocol=utc_course.protocol, instrument_key="madrs", occasion="once"
    )
    MeasureSchedule.objects.create(
        protocol=utc_course.protocol, instrument_key="phq9", occasion="once"
    )
    measures.measures_plan(course=utc_course)
    madrs = MeasureRequest.objects.get(instrument_key="madrs")
    phq9 = MeasureRequest.objects.get(instrument_key="phq9")
    assert not Message.objects.filter(subject_key=f"measure:{madrs.uuid}").exists()
    assert Message.objects.filter(subject_key=f"measure:{phq9.uuid}").count() == 2


def test_a_patient_cannot_answer_a_clinician_rated_scale(
    course: Course, patient_user: User
) -> None:
    now = timezone.now()
    measure = MeasureRequest.objects.create(
        course=course,
        patient=course.patient,
        instrument_key="madrs",
        occasion=MeasureOccasion.ONCE,
        due_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=6),
    )
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    response = _client(patient_user).post(url, MADRS_ANSWERS)
    assert response.status_code == 400
    assert b"MADRS is rated by a clinician" in response.content
    assert b"Nothing was saved" in response.content
    assert not InstrumentResponse.objects.exists()


def test_a_clinician_rates_the_madrs_in_session(course: Course, therapist: User) -> None:
    url = reverse("integration:course_measure_enter", args=[course.uuid])
    client = _client(therapist)
    page = client.get(url, {"instrument": "madrs"}).content.decode()
    assert "Apparent sadness" in page
    assert "Rated by you, the clinician." in page
    response = client.post(url + "?instrument=madrs", MADRS_ANSWERS)
    assert response.status_code == 302
    entry = MeasureEntry.objects.get()
    assert (entry.response.instrument_key, entry.response.total) == ("madrs", 30)
    assert (entry.entered_by, entry.on_behalf_of_patient, entry.course) == (
        therapist,
        False,
        course,
    )
    assert entry.response.patient == course.patient
    audit = AuditEvent.objects.get(detail="MADRS rated by the clinician")
    assert audit.actor == therapist


def test_an_out_of_range_rating_is_refused_and_nothing_is_saved(
    course: Course, therapist: User
) -> None:
    url = reverse("integration:course_measure_enter", args=[course.uuid]) + "?instrument=madrs"
    response = _client(therapist).post(url, MADRS_ANSWERS | {"item4": "7"})
    assert response.status_code == 400
    assert "MADRS: item item4 is out of range." in response.content.decode()
    assert not InstrumentResponse.objects.exists()
    assert not MeasureEntry.objects.exists()


def test_a_clinician_fills_an_open_questionnaire_on_the_patients_behalf(
    course: Course, therapist: User
) -> None:
    now = timezone.now()
    measure = MeasureRequest.objects.create(
        course=course,
        patient=course.patient,
        instrument_key="phq9",
        occasion=MeasureOccasion.BEFORE_DOSE,
        due_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=6),
    )
    url = reverse("integration:course_measure_enter", args=[course.uuid])
    client = _client(therapist)
    assert "on the patient's behalf" in client.get(url, {"request": measure.uuid}).content.decode()
    response = client.post(f"{url}?request={measure.uuid}", PHQ9_ANSWERS)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.response is not None
    assert measure.response.total == 8
    entry = MeasureEntry.objects.get()
    assert (entry.on_behalf_of_patient, entry.measure_request) == (True, measure)
    assert AuditEvent.objects.filter(detail="PHQ-9 entered on the patient's behalf").count() == 1


def test_only_the_patients_clinicians_can_enter_a_measure(
    course: Course, outsider: User, patient_user: User, front_desk: User
) -> None:
    url = reverse("integration:course_measure_enter", args=[course.uuid])
    assert _client(outsider).get(url).status_code == 404
    assert _client(patient_user).get(url).status_code == 403
    assert _client(front_desk).get(url).status_code == 403
