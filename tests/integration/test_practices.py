"""Practices between sessions: programmes on a course's phases, today's practice, adherence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from integration.practices import services
from integration.practices.models import (
    Practice,
    PracticeCompletion,
    PracticeProgramme,
    ProgrammeAssignment,
)
from integration.practices.selectors import course_adherence, todays_practices
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import Course, CourseStatus

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def programme() -> PracticeProgramme:
    programme = PracticeProgramme.objects.create(name="Two weeks of grounding")
    for day, kind, title in [
        (1, "breathing", "Box breathing"),
        (2, "mindfulness", "Body scan"),
        (3, "journaling", "What do you hope for?"),
    ]:
        Practice.objects.create(
            programme=programme, day=day, kind=kind, title=title, instructions="Sit comfortably."
        )
    return programme


def _attach(
    course: Course, programme: PracticeProgramme, starts_on: date, by: User
) -> ProgrammeAssignment:
    return services.programme_attach(
        course=course, programme=programme, phase="preparation", starts_on=starts_on, by=by
    )


def test_a_clinician_attaches_a_programme_and_sees_adherence_on_the_course_page(
    course: Course, programme: PracticeProgramme, therapist: User
) -> None:
    client = _client(therapist)
    today = timezone.localdate()
    response = client.post(
        reverse("integration:course_programme_attach", args=[course.uuid]),
        {
            "programme": str(programme.uuid),
            "phase": "preparation",
            "starts_on": (today - timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    assignment = ProgrammeAssignment.objects.get()
    assert AuditEvent.objects.filter(detail__startswith="practice programme attached").exists()
    # Day 3 today: three practices due; one done.
    PracticeCompletion.objects.create(
        assignment=assignment, practice=programme.practices.get(day=1)
    )
    [row] = course_adherence(course, today=today)
    assert (row.due, row.done, row.length) == (3, 1, 3)
    content = client.get(reverse("integration:course_integration", args=[course.uuid])).content
    assert "1 of 3 practices done so far (33%)" in content.decode()


def test_bad_attachments_are_refused_with_a_message_and_nothing_saved(
    course: Course, programme: PracticeProgramme, therapist: User
) -> None:
    url = reverse("integration:course_programme_attach", args=[course.uuid])
    client = _client(therapist)
    for data, message in [
        (
            {"programme": "nonsense", "phase": "preparation", "starts_on": "2027-01-01"},
            "Choose a programme.",
        ),
        (
            {"programme": str(programme.uuid), "phase": "dosing", "starts_on": "2027-01-01"},
            "Choose the preparation or the integration phase.",
        ),
        (
            {"programme": str(programme.uuid), "phase": "preparation", "starts_on": "bad"},
            "Enter the day the programme starts.",
        ),
    ]:
        response = client.post(url, data, follow=True)
        assert message in response.content.decode()
    assert not ProgrammeAssignment.objects.exists()
    programme.is_active = False
    programme.save()
    with pytest.raises(ValidationError, match="is not in use"):
        _attach(course, programme, date(2027, 1, 1), therapist)


def test_the_patient_sees_todays_practice_and_marks_it_done_once(
    course: Course, programme: PracticeProgramme, therapist: User, patient_user: User
) -> None:
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    today = timezone.localdate()
    assignment = _attach(course, programme, today - timedelta(days=1), therapist)
    client = _client(patient_user)
    landing = client.get(client.get(reverse("accounts:home"))["Location"]).content.decode()
    assert "Today&#x27;s practice" in landing or "Today's practice" in landing
    assert "Body scan" in landing
    assert "Box breathing" not in landing
    url = reverse(
        "integration:practice_done",
        args=[assignment.uuid, programme.practices.get(day=2).uuid],
    )
    assert client.post(url).status_code == 302
    assert PracticeCompletion.objects.count() == 1
    again = client.post(url, follow=True)
    assert "You marked this practice done already." in again.content.decode()
    assert PracticeCompletion.objects.count() == 1
    [item] = todays_practices(patient_user, today=today)
    assert item.done is True
    not_yet = reverse(
        "integration:practice_done",
        args=[assignment.uuid, programme.practices.get(day=3).uuid],
    )
    assert "not due yet" in client.post(not_yet, follow=True).content.decode()
    assert PracticeCompletion.objects.count() == 1


def test_another_patient_cannot_mark_a_practice_done(
    course: Course, programme: PracticeProgramme, therapist: User, other_patient: Patient
) -> None:
    assignment = _attach(course, programme, timezone.localdate(), therapist)
    url = reverse(
        "integration:practice_done",
        args=[assignment.uuid, programme.practices.get(day=1).uuid],
    )
    assert _client(other_patient.user).post(url).status_code == 404
    assert not PracticeCompletion.objects.exists()


def test_the_patients_portal_keeps_its_query_count_with_1_and_2_programmes(
    django_assert_num_queries: object,
    django_assert_max_num_queries: object,
    course: Course,
    programme: PracticeProgramme,
    therapist: User,
    patient_user: User,
) -> None:
    course.status = CourseStatus.ACTIVE
    course.save(update_fields=["status"])
    today = timezone.localdate()
    _attach(course, programme, today, therapist)
    client = _client(patient_user)
    landing = client.get(reverse("accounts:home"))["Location"]
    client.get(landing)
    # 14: the portal home also shows the next session and My progress (issue 10, item 12).
    with django_assert_max_num_queries(14) as one:  # type: ignore[operator]
        assert "Box breathing" in client.get(landing).content.decode()
    services.programme_attach(
        course=course, programme=programme, phase="integration", starts_on=today, by=therapist
    )
    with django_assert_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined,operator]
        assert client.get(landing).content.decode().count("Box breathing") == 2
