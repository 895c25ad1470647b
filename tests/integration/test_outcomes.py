"""The clinic outcomes page: summary table, Wilson intervals, exclusions, CSV, query budget."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import InstrumentResponse, Patient
from integration.clinic_outcomes import outcomes_refresh, wilson_interval
from integration.models import CourseOutcomeSummary
from integration.tasks import outcomes_refresh_task
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import Course, CourseStatus
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

FIRST_DOSE = datetime(2026, 3, 10, 9, tzinfo=UTC)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _score(patient: Patient, when: datetime, total: int, key: str = "phq9") -> None:
    InstrumentResponse.objects.create(
        patient=patient,
        instrument_key=key,
        instrument_version="1",
        answers={},
        total=total,
        band="x",
        band_label="x",
        recorded_at=when,
    )


def _dose(course: Course, when: datetime) -> None:
    IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=when, ends_at=when + timedelta(hours=2)
    )


def _completed_course(
    baseline: int | None, end: int | None, first_dose: datetime = FIRST_DOSE, **fields: object
) -> Course:
    course = CourseFactory(status=CourseStatus.COMPLETED, **fields)
    _dose(course, first_dose)
    if baseline is not None:
        _score(course.patient, first_dose - timedelta(days=1), baseline)
    if end is not None:
        _score(course.patient, first_dose + timedelta(days=20), end)
    return course


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
        # seven methods. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0000),
    ],
)
def test_wilson_intervals_match_the_published_values(
    successes: int, n: int, low: float, high: float
) -> None:
    found = wilson_interval(successes, n)
    assert found is not None
    assert (round(found[0], 4), round(found[1], 4)) == (low, high)


def test_no_interval_without_courses() -> None:
    assert wilson_interval(0, 0) is None


def test_outcome_rates_against_hand_computed_courses(clinic_admin: User) -> None:
    _completed_course(20, 10)  # response (exactly 50 %), no remission; change -10
    _completed_course(9, 4)  # response and remission; change -5
    _completed_course(20, 15)  # neither; change -5
    _completed_course(None, 3)  # excluded: no baseline
    _completed_course(14, None)  # excluded: no end
    CourseFactory(status=CourseStatus.ACTIVE)
    assert outcomes_refresh_task() == 5
    response = _client(clinic_admin).get(reverse("integration:clinic_outcomes"))
    content = response.content.decode()
    overall = response.context["report"].overall
    assert (overall.courses, overall.response.n) == (5, 3)
    assert (overall.response.count, overall.remission.count) == (2, 1)
    assert overall.median_change == -5
    assert "67% (2 of 3)" in content
    assert "95% CI 21–94%" in content  # Wilson 2/3: 0.2077-0.9385
    assert "33% (1 of 3)" in content
    assert "1: no baseline score before the first dose" in content
    assert "1: no score after the first dose" in content
    assert "Not available: diagnoses are recorded as free text" in content
    assert response.context["report"].in_course == 1


def test_a_patients_second_course_is_counted_with_its_own_baseline(clinic_admin: User) -> None:
    first = _completed_course(20, 8)
    second = CourseFactory(
        patient=first.patient, status=CourseStatus.COMPLETED, start_date=date(2026, 9, 1)
    )
    second_dose = datetime(2026, 9, 1, 9, tzinfo=UTC)
    _dose(second, second_dose)
    _score(first.patient, second_dose - timedelta(days=2), 18)
    _score(first.patient, second_dose + timedelta(days=14), 15)
    outcomes_refresh()
    rows = {
        row.course_id: row for row in CourseOutcomeSummary.objects.filter(instrument_key="phq9")
    }
    # Course 1 stays a responder (20 -> 8); course 2 runs 18 -> 15, from its own baseline.
    assert (rows[first.pk].baseline_total, rows[first.pk].end_total) == (20, 8)
    assert rows[first.pk].response is True
    assert (rows[second.pk].baseline_total, rows[second.pk].end_total) == (18, 15)
    assert rows[second.pk].response is False


def test_refresh_is_safe_to_run_twice_and_drops_courses_no_longer_completed() -> None:
    course = _completed_course(20, 8)
    outcomes_refresh()
    outcomes_refresh()
    assert CourseOutcomeSummary.objects.filter(course=course).count() == 1
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    outcomes_refresh()
    assert not CourseOutcomeSummary.objects.exists()


def test_completing_a_course_refreshes_its_outcome(
    django_capture_on_commit_callbacks: object, therapist: User, settings: object
) -> None:
    from sessions.services import course_complete

    course = _completed_course(20, 8)
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    settings.CELERY_TASK_ALWAYS_EAGER = True  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        course_complete(course=course, by=therapist)
    assert CourseOutcomeSummary.objects.get(course=course).response is True
    assert AuditEvent.objects.filter(detail="course completed").count() == 1


def test_outcomes_filter_by_protocol_dates_and_measure(clinic_admin: User) -> None:
    chosen = _completed_course(20, 4)
    _completed_course(20, 19)
    _score(chosen.patient, FIRST_DOSE - timedelta(days=1), 30, key="madrs")
    _score(chosen.patient, FIRST_DOSE + timedelta(days=20), 10, key="madrs")
    outcomes_refresh()
    client = _client(clinic_admin)
    url = reverse("integration:clinic_outcomes")
    report = client.get(url, {"protocol": str(chosen.protocol.uuid)}).context["report"]
    assert (report.overall.courses, report.overall.response.count) == (1, 1)
    assert (
        client.get(url, {"start": "2030-01-01", "end": "bad"}).context["report"].overall.courses
        == 0
    )
    madrs = client.get(url, {"instrument": "madrs"})
    assert madrs.context["report"].overall.remission.count == 1
    assert "at or below 10 (marked for local verification)" in madrs.content.decode()
    assert client.get(url, {"instrument": "nonsense"}).context["instrument_key"] == "phq9"


def test_outcomes_page_query_count_is_the_same_with_1_and_500_courses(
    django_assert_num_queries: object, clinic_admin: User
) -> None:
    client = _client(clinic_admin)
    url = reverse("integration:clinic_outcomes")
    template = _completed_course(20, 8)
    outcomes_refresh()
    client.get(url)  # warm the session and the user's permission cache
    # Seven for the figures, one for the patients by derived status (the landing counts' rule).
    with django_assert_num_queries(8) as one:  # type: ignore[operator]
        assert client.get(url).context["report"].overall.courses == 1
    courses = Course.objects.bulk_create(
        Course(
            patient=template.patient,
            protocol=template.protocol,
            location=template.location,
            prescriber=template.prescriber,
            therapist=template.therapist,
            planned_dose=template.planned_dose,
            start_date=template.start_date,
            status=CourseStatus.COMPLETED,
            created_by=template.created_by,
        )
        for _ in range(499)
    )
    CourseOutcomeSummary.objects.bulk_create(
        CourseOutcomeSummary(
            course=course,
            instrument_key="phq9",
            protocol=template.protocol,
            route=template.protocol.route,
            clinician=template.therapist,
            start_date=date(2026, 1 + index % 12, 1),
            baseline_total=20,
            end_total=index % 21,
            change=index % 21 - 20,
            response=index % 21 <= 10,
            remission=index % 21 < 5,
            end_phase="treatment",
        )
        for index, course in enumerate(courses)
    )
    with django_assert_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined,operator]
        assert client.get(url).context["report"].overall.courses == 500


def test_the_csv_holds_de_identified_rows_and_is_audited(clinic_admin: User) -> None:
    course = _completed_course(20, 8)
    outcomes_refresh()
    response = _client(clinic_admin).get(reverse("integration:clinic_outcomes_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["row", "instrument", "protocol", "route", "course start year"]
    assert rows[1][0] == "1"
    assert rows[1][4] == str(course.start_date.year)
    assert rows[1][5:11] == ["20", "8", "follow-up", "-12", "yes", "no"]
    text = response.content.decode()
    for identifier in (
        course.patient.legal_last_name,
        str(course.uuid),
        str(course.patient.uuid),
        course.start_date.isoformat(),
    ):
        assert identifier not in text
    event = AuditEvent.objects.get(object_type="integration.outcomes", action="export")
    assert event.detail == "de-identified outcomes CSV, 1 rows"


def test_front_desk_and_patients_cannot_open_the_outcomes_page_or_csv(
    front_desk: User, patient_user: User
) -> None:
    for user in (front_desk, patient_user):
        for name in ("integration:clinic_outcomes", "integration:clinic_outcomes_csv"):
            assert _client(user).get(reverse(name)).status_code == 403


def test_trend_pages_show_course_boundaries_and_each_courses_own_result(
    patient: Patient, therapist: User, patient_user: User, front_desk: User, outsider: User
) -> None:
    course = CourseFactory(patient=patient, therapist=therapist)
    _dose(course, FIRST_DOSE)
    _score(patient, FIRST_DOSE - timedelta(days=1), 12)
    _score(patient, FIRST_DOSE + timedelta(days=14), 4)
    url = reverse("integration:patient_trends", args=[patient.uuid])
    for user in (therapist, patient_user):
        content = _client(user).get(url).content.decode()
        assert "PHQ-9 over time" in content
        assert 'class="dose"' in content
        assert 'class="course-span"' in content
        assert "Remission</span>" in content
        assert "Response</span>" in content
    assert _client(front_desk).get(url).status_code == 404
    assert _client(outsider).get(url).status_code == 404
    course_url = reverse("integration:course_trends", args=[course.uuid])
    content = _client(therapist).get(course_url).content.decode()
    assert "PHQ-9 during the course" in content
    assert "End (last follow-up score)" in content
    assert "Baseline window from 2026-02-08" in content
    assert _client(outsider).get(course_url).status_code == 404
    assert _client(patient_user).get(course_url).status_code == 403
