from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from integration import services
from integration.models import Note
from integration.supervision import services as supervision
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import Course
from tests.factories import IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor(therapist: User, clinic_admin: User) -> User:
    supervisor = UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="practicum",
        mode="review",
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )
    return supervisor


def _signed_notes(course: Course, author: User, count: int) -> list[Note]:
    notes = []
    for _ in range(count):
        appointment = IntegrationAppointmentFactory(course=course)
        note = services.note_start(appointment=appointment, by=author)
        services.note_draft_save(note=note, body="Plan:\nweekly", by=author)
        notes.append(services.note_sign(note=note, by=author))
    return notes


@pytest.mark.parametrize("rows", [1, 50])
def test_the_queue_page_lists_notes_oldest_first_within_its_query_budget(
    course: Course,
    therapist: User,
    supervisor: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    notes = _signed_notes(course, therapist, rows)
    client = _client(supervisor)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse("integration:supervision_queue"))
    assert response.status_code == 200
    listed = [n.uuid for n in response.context["page"].object_list]
    assert listed == [n.uuid for n in notes][: len(listed)]
    assert f"Notes awaiting your review ({rows})".encode() in response.content
    assert b"Test Therapist" in response.content  # the caseload names the supervisee


@pytest.mark.parametrize("rows", [1, 50])
def test_the_landing_page_shows_the_count_of_notes_awaiting_review(
    course: Course,
    therapist: User,
    supervisor: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    _signed_notes(course, therapist, rows)
    client = _client(supervisor)
    client.get("/clinician/")  # warm the session and caches
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        response = client.get("/clinician/")
    plural = "s" if rows > 1 else ""
    assert f">{rows}</span> note{plural} awaiting your review".encode() in response.content


def test_supervisors_see_their_supervisees_notes_and_not_others(
    course: Course, therapist: User, supervisor: User, clinic_admin: User
) -> None:
    other_trainee = UserFactory(role=Role.THERAPIST)
    other_supervisor = UserFactory(role=Role.THERAPIST)
    supervision.relationship_create(
        supervisee=other_trainee,
        supervisor=other_supervisor,
        kind="practicum",
        mode="cosign",
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )
    (mine,) = _signed_notes(course, therapist, 1)
    (theirs,) = _signed_notes(course, other_trainee, 1)
    client = _client(supervisor)
    assert client.get(reverse("integration:note_detail", args=[mine.uuid])).status_code == 200
    assert client.get(reverse("integration:note_detail", args=[theirs.uuid])).status_code == 404
    queue = client.get(reverse("integration:supervision_queue"))
    assert [n.uuid for n in queue.context["page"].object_list] == [mine.uuid]


def test_the_supervisor_cannot_read_a_trainees_psychotherapy_notes(
    patient: object, therapist: User, supervisor: User
) -> None:
    note = services.psychotherapy_note_create(patient=patient, body="Process", by=therapist)  # type: ignore[arg-type]
    response = _client(supervisor).get(
        reverse("integration:psychotherapy_note_detail", args=[note.uuid])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["front_desk", "patient_user", "clinic_admin"])
def test_the_queue_is_for_clinicians_only(role: str, request: pytest.FixtureRequest) -> None:
    response = _client(request.getfixturevalue(role)).get(reverse("integration:supervision_queue"))
    assert response.status_code in (403, 404)
