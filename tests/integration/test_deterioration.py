"""Deterioration and non-response on the PHQ-9: thresholds at their edges, panel and digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import InstrumentResponse, Patient
from integration.deterioration import DETERIORATION, NON_RESPONSE, course_flags
from integration.episodes import CourseOutcome, PhasedScore
from integration.models import OutcomePolicy
from integration.trends import Score
from kap_clinic.accounts.models import User
from kap_clinic.notifications.digest import digest_sections
from sessions.models import Course, CourseStatus
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 8, tzinfo=UTC)


def _outcome(*values: tuple[int, int, str]) -> CourseOutcome:
    phased = [PhasedScore(Score(_at(day), value), phase) for day, value, phase in values]
    baseline = next((p.score for p in phased if p.phase == "baseline"), None)
    return CourseOutcome("phq9", baseline, None, "", None, None, "", phased)


DOSES = [datetime(2026, 3, day, 9, tzinfo=UTC) for day in (2, 4, 6, 8)]


@pytest.mark.parametrize(("rise", "flagged"), [(5, True), (4, False), (6, True)])
def test_a_rise_of_5_or_more_from_the_previous_score_is_a_deterioration(
    rise: int, flagged: bool
) -> None:
    outcome = _outcome((1, 10, "baseline"), (3, 6, "treatment"), (5, 6 + rise, "treatment"))
    flags = course_flags(outcome, doses_given=DOSES[:2], policy=OutcomePolicy())
    assert [f.kind for f in flags] == ([DETERIORATION] if flagged else [])
    if flagged:
        assert flags[0].scores == (Score(_at(3), 6), Score(_at(5), 6 + rise))
        assert f"PHQ-9 rose from 6 to {6 + rise}" in flags[0].text


@pytest.mark.parametrize(
    ("latest", "flagged"),
    [(15, False), (16, True), (20, True)],  # baseline 20: 25 % improvement is 15 or below
)
def test_no_25_percent_improvement_after_the_policy_number_of_doses_is_non_response(
    latest: int, flagged: bool
) -> None:
    outcome = _outcome((1, 20, "baseline"), (9, latest, "treatment"))
    flags = course_flags(outcome, doses_given=DOSES, policy=OutcomePolicy())
    assert [f.kind for f in flags] == ([NON_RESPONSE] if flagged else [])
    if flagged:
        assert flags[0].scores == (Score(_at(1), 20), Score(_at(9), latest))


def test_non_response_waits_for_the_policy_number_of_doses() -> None:
    outcome = _outcome((1, 20, "baseline"), (9, 20, "treatment"))
    assert course_flags(outcome, doses_given=DOSES[:3], policy=OutcomePolicy()) == []
    # A score before the 4th dose does not count either.
    early = _outcome((1, 20, "baseline"), (7, 20, "treatment"))
    assert course_flags(early, doses_given=DOSES, policy=OutcomePolicy()) == []
    # The clinic's policy decides the number of doses.
    policy = OutcomePolicy(non_response_doses=3)
    assert [f.kind for f in course_flags(outcome, doses_given=DOSES[:3], policy=policy)] == [
        NON_RESPONSE
    ]


def _score(patient: Patient, when: datetime, total: int) -> None:
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


def _deteriorating_course(therapist: User, prescriber: User, patient: Patient) -> Course:
    course = CourseFactory(
        patient=patient, therapist=therapist, prescriber=prescriber, status=CourseStatus.ACTIVE
    )
    now = timezone.now()
    IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=now - timedelta(days=10), ends_at=now
    )
    _score(patient, now - timedelta(days=11), 12)
    _score(patient, now - timedelta(days=5), 8)
    _score(patient, now - timedelta(days=1), 14)
    return course


def test_the_clinicians_panel_and_digest_show_a_deterioration(
    therapist: User, prescriber: User, patient: Patient, outsider: User
) -> None:
    course = _deteriorating_course(therapist, prescriber, patient)
    patient.legal_first_name, patient.legal_last_name = "Quinn", "Marlowe"
    patient.save()
    client = Client()
    client.force_login(therapist)
    landing = client.get(client.get(reverse("accounts:home"))["Location"]).content.decode()
    assert "Measures to review" in landing
    assert reverse("integration:measures_flagged") in landing
    content = client.get(reverse("integration:measures_flagged")).content.decode()
    assert "Deterioration:" in content
    assert "PHQ-9 rose from 8 to 14" in content
    assert reverse("integration:course_trends", args=[course.uuid]) in content
    sections = {
        s["key"]: s["items"] for s in digest_sections(user=therapist, day=timezone.localdate())
    }
    assert sections["integration.measures_flagged"] == ["Q. M.: deterioration on the PHQ-9"]
    outsider_sections = {
        s["key"]: s["items"] for s in digest_sections(user=outsider, day=timezone.localdate())
    }
    assert outsider_sections["integration.measures_flagged"] == []


def test_the_flag_list_keeps_its_query_count_with_1_and_20_courses(
    django_assert_num_queries: object, therapist: User, prescriber: User
) -> None:
    from tests.factories import PatientFactory

    client = Client()
    client.force_login(therapist)
    url = reverse("integration:measures_flagged")
    _deteriorating_course(therapist, prescriber, PatientFactory(therapist=therapist))
    client.get(url)
    with django_assert_num_queries(8) as one:  # type: ignore[operator]
        assert client.get(url).content.decode().count("Deterioration:") == 1
    for _ in range(19):
        _deteriorating_course(therapist, prescriber, PatientFactory(therapist=therapist))
    with django_assert_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined,operator]
        assert client.get(url).content.decode().count("Deterioration:") == 10
