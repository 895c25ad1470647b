"""The supervisor logs supervision meetings and lists them per supervisee."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from integration.supervision import services as supervision
from integration.supervision.models import SupervisionMeeting, SupervisionRelationship
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = "integration:supervision_meeting_new"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor() -> User:
    return UserFactory(role=Role.PRESCRIBER, full_name="Supervising Prescriber")


@pytest.fixture
def relationship(therapist: User, supervisor: User, clinic_admin: User) -> SupervisionRelationship:
    return supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="practicum",
        mode="review",
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )


def _list_url(relationship: SupervisionRelationship) -> str:
    return reverse("integration:supervision_supervisee_meetings", args=[relationship.uuid])


def test_the_queue_links_to_the_meeting_log_and_the_supervisees_meetings(
    supervisor: User, relationship: SupervisionRelationship
) -> None:
    content = _client(supervisor).get(reverse("integration:supervision_queue")).content
    assert reverse(NEW).encode() in content
    assert _list_url(relationship).encode() in content


def test_the_supervisor_logs_a_meeting_with_cases_by_mrn(
    patient: Patient, therapist: User, supervisor: User, relationship: SupervisionRelationship
) -> None:
    assert patient.mrn  # the patient has a record number to name the case by
    client = _client(supervisor)
    assert client.get(reverse(NEW)).status_code == 200
    today = timezone.localdate()
    response = client.post(
        reverse(NEW),
        {
            "held_on": today.isoformat(),
            "format": "individual",
            "minutes": "50",
            "supervisees": [str(therapist.pk)],
            "case_mrns": patient.mrn,
            "notes": "Talked about pacing.",
        },
    )
    assert response.status_code == 302
    meeting = SupervisionMeeting.objects.get()
    assert (meeting.held_on, meeting.minutes, meeting.case_mrns) == (today, 50, patient.mrn)
    assert list(meeting.supervisees.all()) == [therapist]
    listed = client.get(_list_url(relationship))
    assert listed.status_code == 200
    assert patient.mrn.encode() in listed.content
    assert b"Talked about pacing." in listed.content
    assert patient.legal_last_name.encode() not in listed.content


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"case_mrns": "NOPE-0000"}, "Unknown MRN: NOPE-0000."),
        ({"held_on": "2019-06-01"}, "Log meetings only with clinicians you supervise on that"),
        ({"minutes": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"supervisees": []}, "This field is required."),
    ],
)
def test_bad_meeting_input_re_renders_with_a_message_and_saves_nothing(
    therapist: User,
    supervisor: User,
    relationship: SupervisionRelationship,
    overrides: dict[str, object],
    message: str,
) -> None:
    data: dict[str, object] = {
        "held_on": timezone.localdate().isoformat(),
        "format": "group",
        "minutes": "60",
        "supervisees": [str(therapist.pk)],
        "case_mrns": "",
        "notes": "",
    }
    data.update(overrides)
    response = _client(supervisor).post(reverse(NEW), data)
    assert response.status_code == 400
    assert message.encode() in response.content
    assert not SupervisionMeeting.objects.exists()


def test_a_supervisor_cannot_log_a_meeting_with_someone_they_do_not_supervise(
    therapist: User, relationship: SupervisionRelationship
) -> None:
    other_supervisor = UserFactory(role=Role.THERAPIST)
    response = _client(other_supervisor).post(
        reverse(NEW),
        {
            "held_on": timezone.localdate().isoformat(),
            "format": "individual",
            "minutes": "30",
            "supervisees": [str(therapist.pk)],
        },
    )
    assert response.status_code == 400
    assert not SupervisionMeeting.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "patient_user", "clinic_admin"])
def test_meeting_pages_are_for_clinicians_only(
    role: str, relationship: SupervisionRelationship, request: pytest.FixtureRequest
) -> None:
    client = _client(request.getfixturevalue(role))
    assert client.get(reverse(NEW)).status_code == 403
    assert client.get(_list_url(relationship)).status_code == 403


def test_another_supervisor_and_the_supervisee_get_a_404_for_the_meeting_list(
    therapist: User, relationship: SupervisionRelationship
) -> None:
    other_supervisor = UserFactory(role=Role.THERAPIST)
    assert _client(other_supervisor).get(_list_url(relationship)).status_code == 404
    assert _client(therapist).get(_list_url(relationship)).status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
def test_the_meeting_list_keeps_its_query_budget(
    therapist: User,
    supervisor: User,
    relationship: SupervisionRelationship,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    colleague = UserFactory(role=Role.THERAPIST)
    supervision.relationship_create(
        supervisee=colleague,
        supervisor=supervisor,
        kind="practicum",
        mode="cosign",
        starts_on=date(2020, 1, 1),
        by=UserFactory(role=Role.CLINIC_ADMIN),
    )
    today = timezone.localdate()
    for number in range(rows):
        supervision.meeting_record(
            supervisees=[therapist, colleague],
            held_on=today - timedelta(days=number),
            format="group",
            minutes=60,
            case_mrns=[],
            by=supervisor,
        )
    client = _client(supervisor)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(_list_url(relationship))
    assert response.status_code == 200
    assert f"Meetings ({rows})".encode() in response.content
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(reverse(NEW)).status_code == 200
