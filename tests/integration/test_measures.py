from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Alert, InstrumentResponse, IntakeForm, IntakeStatus, Patient
from integration import measures
from integration.models import MeasureOccasion, MeasureRequest
from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message
from sessions.models import Course
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

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


def _dose(course: Course, when: datetime) -> None:
    IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=when, ends_at=when + timedelta(hours=2)
    )


def _measure(course: Course, key: str = "phq9", **fields: object) -> MeasureRequest:
    now = timezone.now()
    values: dict[str, object] = {
        "course": course,
        "patient": course.patient,
        "instrument_key": key,
        "occasion": MeasureOccasion.WEEKLY,
        "due_at": now - timedelta(hours=1),
        "expires_at": now + timedelta(days=6),
    }
    values.update(fields)
    return MeasureRequest.objects.create(**values)


def test_the_default_schedule_against_a_hand_computed_course(utc_course: Course) -> None:
    # Doses on Dec 2 and Dec 9, 10:00-12:00 UTC: the course ends Dec 9 12:00.
    _dose(utc_course, datetime(2026, 12, 2, 10, tzinfo=UTC))
    _dose(utc_course, datetime(2026, 12, 9, 10, tzinfo=UTC))
    schedule = measures.measure_schedule(utc_course)
    phq9 = [(due.occasion, due.due_at) for due in schedule if due.instrument_key == "phq9"]
    end = datetime(2026, 12, 9, 12, tzinfo=UTC)
    assert phq9 == [
        ("baseline", datetime(2026, 11, 29, 9, tzinfo=UTC)),
        ("before_dose", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("weekly", datetime(2026, 12, 8, 9, tzinfo=UTC)),
        ("before_dose", datetime(2026, 12, 8, 10, tzinfo=UTC)),
        ("month_1", end + timedelta(days=30)),
        ("month_3", end + timedelta(days=90)),
    ]
    assert {due.instrument_key for due in schedule} == {"phq9", "gad7"}


def test_pcl5_is_monthly_only_when_the_baseline_pcl5_was_positive(utc_course: Course) -> None:
    _dose(utc_course, datetime(2026, 12, 2, 10, tzinfo=UTC))
    InstrumentResponse.objects.create(
        patient=utc_course.patient,
        instrument_key="pcl5",
        instrument_version="1",
        answers={},
        total=32,
        band="below_cut_point",
        band_label="Below",
        recorded_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert not [d for d in measures.measure_schedule(utc_course) if d.instrument_key == "pcl5"]
    InstrumentResponse.objects.create(
        patient=utc_course.patient,
        instrument_key="pcl5",
        instrument_version="1",
        answers={},
        total=33,  # CLINICAL.md default cut-point 33: probable PTSD
        band="probable",
        band_label="Probable PTSD",
        recorded_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    pcl5 = [d for d in measures.measure_schedule(utc_course) if d.instrument_key == "pcl5"]
    assert [d.due_at.date() for d in pcl5] == [
        date(2026, 12, 31),
        date(2027, 1, 30),
        date(2027, 3, 1),
    ]
    assert {d.occasion for d in pcl5} == {"monthly"}


def test_planning_requests_each_measure_and_one_reminder_two_days_later(
    utc_course: Course,
) -> None:
    _dose(utc_course, datetime(2026, 12, 2, 10, tzinfo=UTC))
    planned = measures.measures_plan(course=utc_course)
    assert len(planned) == MeasureRequest.objects.count()
    again = measures.measures_plan(course=utc_course)
    assert {m.pk for m in again} == {m.pk for m in planned}
    baseline = MeasureRequest.objects.get(instrument_key="phq9", occasion="baseline")
    messages = Message.objects.filter(subject_key=f"measure:{baseline.uuid}").order_by("send_at")
    assert [m.template_key for m in messages] == [
        "integration.measure_due",
        "integration.measure_reminder",
    ]
    assert messages[1].send_at - messages[0].send_at >= timedelta(days=2)
    # Both render strictly (a missing variable fails), with the measure's link.
    for message in messages:
        rendered = message_render(message, time_zone=utc_course.patient.time_zone)
        assert rendered is not None
        assert "/integration/" in rendered.text
        assert rendered.subject


def test_a_patient_answers_a_phq9_from_the_link_once(course: Course, patient_user: User) -> None:
    measure = _measure(course)
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    client = _client(patient_user)
    assert b"Little interest or pleasure" in client.get(url).content
    response = client.post(url, PHQ9_ANSWERS)
    assert response.status_code == 200
    measure.refresh_from_db()
    assert measure.response is not None
    assert measure.response.total == 8
    second = client.post(url, PHQ9_ANSWERS)
    assert second.status_code == 410
    assert b"answered already" in second.content
    assert InstrumentResponse.objects.filter(instrument_key="phq9").count() == 1


def test_an_out_of_range_answer_is_refused_and_nothing_is_saved(
    course: Course, patient_user: User
) -> None:
    measure = _measure(course)
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    response = _client(patient_user).post(url, PHQ9_ANSWERS | {"item3": "7"})
    assert response.status_code == 400
    assert b"out of range" in response.content
    measure.refresh_from_db()
    assert measure.answered_at is None
    assert not InstrumentResponse.objects.exists()


def test_an_expired_link_gives_a_clear_message(course: Course, patient_user: User) -> None:
    now = timezone.now()
    measure = _measure(course, due_at=now - timedelta(days=8), expires_at=now - timedelta(days=1))
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    response = _client(patient_user).post(url, PHQ9_ANSWERS)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not InstrumentResponse.objects.exists()


def test_a_tampered_link_or_another_patient_is_refused(
    course: Course, other_patient: Patient
) -> None:
    measure = _measure(course)
    assert other_patient.user is not None
    client = _client(other_patient.user)
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    assert client.get(url).status_code == 410
    assert client.get(url.replace(":", "x", 1)).status_code == 410
    with pytest.raises(ValidationError, match="not valid"):
        measures.measure_from_token("garbage", user=other_patient.user)


def test_phq9_item9_raises_intakes_alert_and_asks_a_cssrs(
    course: Course, patient_user: User, therapist: User
) -> None:
    IntakeForm.objects.create(
        patient=course.patient, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now()
    )
    measure = _measure(course)
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    _client(patient_user).post(url, PHQ9_ANSWERS | {"item9": "1"})
    alert = Alert.objects.get(patient=course.patient)
    assert "PHQ-9 item 9" in alert.message
    assert Message.objects.filter(
        template_key="intake.safety_alert", recipient_user=therapist, urgent=True
    ).exists()
    assert MeasureRequest.objects.filter(instrument_key="cssrs", occasion="follow_up").exists()


def test_a_high_risk_cssrs_raises_an_alert(course: Course, patient_user: User) -> None:
    IntakeForm.objects.create(
        patient=course.patient, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now()
    )
    measure = _measure(course, key="cssrs")
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    response = _client(patient_user).post(
        url, {"q1": "1", "q2": "1", "q3": "1", "q4": "1", "q5": "0", "q6": "0"}
    )
    assert response.status_code == 200
    assert Alert.objects.filter(patient=course.patient, message__contains="C-SSRS").exists()


def test_a_phq9_without_item9_raises_no_alert(course: Course, patient_user: User) -> None:
    measure = _measure(course)
    url = reverse("integration:measure_answer", args=[measures.measure_token(measure)])
    _client(patient_user).post(url, PHQ9_ANSWERS)
    assert not Alert.objects.exists()


def test_the_patients_portal_lists_open_measures_with_their_links(
    course: Course, patient_user: User, other_patient: Patient
) -> None:
    open_measure = _measure(course, "phq9")
    _measure(course, "gad7", answered_at=timezone.now())
    _measure(course, "pcl5", due_at=timezone.now() + timedelta(days=1))
    _measure(course, "phq9", occasion=MeasureOccasion.MONTH_1, expires_at=timezone.now())
    page = _client(patient_user).get(reverse("accounts:portal")).content.decode()
    assert "Questionnaires to answer" in page
    assert measures.measure_link(open_measure) in page
    assert page.count("/integration/measures/") == 1
    other = _client(other_patient.user).get(reverse("accounts:portal")).content.decode()
    assert "/integration/measures/" not in other
