"""MADRS: rated by a clinician at baseline and during the course, stored with the patients'
measures (InstrumentResponse) so that outcomes count it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from intake.models import InstrumentResponse
from integration.models import ClinicianRating
from integration.outcomes import course_outcomes, patient_trends
from integration.ratings import madrs_record
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import Course, DosingRecord

pytestmark = pytest.mark.django_db


def _answers(value: int) -> dict[str, int]:
    return {f"item{n}": value for n in range(1, 11)}


def test_a_clinician_records_the_madrs_into_the_measures_store(
    course: Course, prescriber: User
) -> None:
    rating = madrs_record(course=course, answers=_answers(3), occasion="baseline", by=prescriber)
    response = InstrumentResponse.objects.get(instrument_key="madrs")
    assert (response.total, response.band, response.patient) == (30, "moderate", course.patient)
    assert (rating.response, rating.rated_by, rating.course) == (response, prescriber, course)
    assert AuditEvent.objects.filter(object_id=str(rating.uuid), detail="MADRS rated").exists()


def test_patients_and_front_desk_cannot_rate_and_items_must_be_0_to_6(
    course: Course, front_desk: User, therapist: User
) -> None:
    with pytest.raises(ValidationError, match="rated by a clinician"):
        madrs_record(course=course, answers=_answers(1), occasion="baseline", by=front_desk)
    with pytest.raises(ValidationError, match="out of range"):
        madrs_record(course=course, answers=_answers(7), occasion="baseline", by=therapist)
    assert not InstrumentResponse.objects.filter(instrument_key="madrs").exists()


def test_madrs_counts_in_the_patients_outcomes_with_response_at_a_50_percent_fall(
    record: DosingRecord, therapist: User
) -> None:
    course = record.course
    baseline = madrs_record(course=course, answers=_answers(3), occasion="baseline", by=therapist)
    first_dose = record.doses.get().started_at
    InstrumentResponse.objects.filter(id=baseline.response_id).update(
        recorded_at=first_dose - timedelta(days=1)
    )
    later = madrs_record(course=course, answers=_answers(1), occasion="during_course", by=therapist)
    InstrumentResponse.objects.filter(id=later.response_id).update(
        recorded_at=timezone.now() + timedelta(minutes=1)
    )
    # The course's appointment counts as dosed once it is in progress or completed.
    trends, _results = patient_trends(course.patient)
    assert "madrs" in {trend.instrument_key for trend in trends}
    madrs = course_outcomes(course)[1]["madrs"]
    assert madrs.baseline is not None
    assert madrs.end is not None
    assert (madrs.baseline.value, madrs.end.value) == (30, 10)
    assert madrs.response


def test_the_madrs_page_is_linked_from_the_dosing_page_and_records_a_rating(
    client: Client, record: DosingRecord, therapist: User, front_desk: User
) -> None:
    client.force_login(therapist)
    course = record.course
    url = f"/integration/courses/{course.uuid}/madrs/"
    assert url in client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert "1. Apparent sadness" in page.content.decode()
    refused = client.post(url, {"occasion": "baseline", **_answers(2), "item10": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors["item10"]
    assert not ClinicianRating.objects.exists()
    assert client.post(url, {"occasion": "baseline", **_answers(2)}).status_code == 302
    assert ClinicianRating.objects.get().response.total == 20
    client.force_login(front_desk)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_the_madrs_page_holds_its_query_budget(
    client: Client,
    course: Course,
    therapist: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    for _ in range(count):
        madrs_record(course=course, answers=_answers(2), occasion="during_course", by=therapist)
    client.force_login(therapist)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(f"/integration/courses/{course.uuid}/madrs/")
    assert len(response.context["ratings"]) == count
