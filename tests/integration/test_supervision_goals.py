"""Issue #19, Pages: the trainee's own hours toward a goal they set, hours computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from integration.supervision import services as supervision
from integration.supervision.hours import clinical_hours, hours_toward_goals
from integration.supervision.models import HoursGoal, SupervisionRelationship
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Course
from tests.factories import IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 4, 15)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisors(therapist: User, clinic_admin: User) -> tuple[User, User]:
    """A practicum through March 2026, then a pre-licensure supervision from 1 April."""
    march, april = UserFactory(role=Role.THERAPIST), UserFactory(role=Role.THERAPIST)
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=march,
        kind="practicum",
        mode="review",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        by=clinic_admin,
    )
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=april,
        kind="pre_licensure",
        mode="cosign",
        starts_on=date(2026, 4, 1),
        by=clinic_admin,
    )
    return march, april


def _visit(course: Course, start: datetime, minutes: int, status: str = "completed") -> None:
    """``minutes`` of elapsed time (arithmetic in UTC: local arithmetic is wall-clock time)."""
    start = start.astimezone(UTC)
    IntegrationAppointmentFactory(
        course=course, starts_at=start, ends_at=start + timedelta(minutes=minutes), status=status
    )


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


@pytest.fixture
def logged(course: Course, therapist: User, supervisors: tuple[User, User]) -> None:
    march, april = supervisors
    _visit(course, _local(2026, 2, 27, 10), 60)  # before any supervision: not counted
    # 8 March 2026, 01:00 EST: 150 minutes elapsed end at 04:30 EDT (wall clock says 3.5 h).
    _visit(course, _local(2026, 3, 8, 1), 150)
    _visit(course, _local(2026, 3, 31, 23, 30), 60)  # last local day of March (UTC: 1 April)
    _visit(course, _local(2026, 4, 1, 1), 60)
    _visit(course, _local(2026, 4, 10, 10), 105)
    _visit(course, _local(2026, 4, 12, 10), 60, status="no_show")  # not attended: not counted
    supervision.meeting_record(
        supervisees=[therapist],
        held_on=date(2026, 3, 9),
        format="individual",
        minutes=90,
        case_mrns=[],
        by=march,
    )
    supervision.meeting_record(
        supervisees=[therapist],
        held_on=date(2026, 4, 2),
        format="individual",
        minutes=45,
        case_mrns=[],
        by=april,
    )


@override_settings(TIME_ZONE="America/New_York")
def test_hours_per_supervision_match_a_hand_count(therapist: User, logged: None) -> None:
    april, march = hours_toward_goals(supervisee=therapist, today=TODAY)  # newest first
    # March: 150 + 60 minutes direct = 3.5 h; one 90-minute meeting = 1.5 h.
    assert (march.first, march.last) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (march.hours.direct_hours, march.hours.indirect_hours) == (3.5, 1.5)
    # April to today: 60 + 105 minutes = 2.75 h; one 45-minute meeting = 0.75 h.
    assert (april.first, april.last) == (date(2026, 4, 1), TODAY)
    assert (april.hours.direct_hours, april.hours.indirect_hours) == (2.75, 0.75)
    # The same figures as the period report's count.
    for progress in (march, april):
        assert progress.hours == clinical_hours(
            supervisee=therapist, first=progress.first, last=progress.last
        )


@override_settings(TIME_ZONE="America/New_York")
def test_progress_toward_the_goal_the_trainee_set(therapist: User, logged: None) -> None:
    march_relationship = SupervisionRelationship.objects.get(supervisee=therapist, kind="practicum")
    supervision.hours_goal_set(
        relationship=march_relationship, direct_hours=10, indirect_hours=4, by=therapist
    )
    _, march = hours_toward_goals(supervisee=therapist, today=TODAY)
    # 3.5 of 10 direct hours is 35 %; 1.5 of 4 indirect hours is 37.5 %, shown as 37 %.
    assert (march.direct_percent, march.indirect_percent) == (35, 37)
    supervision.hours_goal_set(
        relationship=march_relationship, direct_hours=3, indirect_hours=0, by=therapist
    )
    _, march = hours_toward_goals(supervisee=therapist, today=TODAY)
    assert (march.direct_percent, march.indirect_percent) == (100, 0)  # capped; no goal, no bar
    assert HoursGoal.objects.count() == 1
    assert AuditEvent.objects.filter(
        actor=therapist,
        object_id=str(march_relationship.uuid),
        detail="hours goal set: 3 direct, 0 indirect",
    ).exists()


def _form(relationship: SupervisionRelationship, direct: object, indirect: object) -> dict:
    prefix = f"goal-{relationship.uuid}"
    return {
        "relationship": str(relationship.uuid),
        f"{prefix}-direct_hours": direct,
        f"{prefix}-indirect_hours": indirect,
    }


def test_the_trainee_sets_a_goal_on_the_page_reached_from_the_landing_page(
    course: Course, therapist: User, supervisors: tuple[User, User]
) -> None:
    client = _client(therapist)
    landing = client.get("/clinician/")
    hours_url = reverse("integration:supervision_hours")
    assert f'href="{hours_url}"'.encode() in landing.content
    _visit(course, _local(2026, 4, 10, 10), 90)
    relationship = SupervisionRelationship.objects.get(supervisee=therapist, kind="pre_licensure")
    response = client.post(hours_url, _form(relationship, 3, 0))
    assert response.status_code == 302
    goal = HoursGoal.objects.get(relationship=relationship)
    assert (goal.direct_hours, goal.indirect_hours) == (3, 0)
    page = client.get(hours_url).content.decode()
    assert "Pre-licensure with" in page
    assert 'aria-label="Direct clinical hours toward the goal" value="50"' in page


@pytest.mark.parametrize(
    ("direct", "indirect", "field", "message"),
    [
        (-1, 5, "direct_hours", "Ensure this value is greater than or equal to 0."),
        ("lots", 5, "direct_hours", "Enter a whole number."),
        (0, 0, "direct_hours", "Set a goal for direct or indirect hours (or both)."),
        (5, 10001, "indirect_hours", "Give a number of hours from 0 to 10000."),
        ("", 5, "direct_hours", "This field is required."),
    ],
)
def test_a_bad_goal_is_refused_on_its_field_and_nothing_is_saved(
    therapist: User,
    supervisors: tuple[User, User],
    direct: object,
    indirect: object,
    field: str,
    message: str,
) -> None:
    relationship = SupervisionRelationship.objects.get(supervisee=therapist, kind="practicum")
    response = _client(therapist).post(
        reverse("integration:supervision_hours"), _form(relationship, direct, indirect)
    )
    assert response.status_code == 400
    rows = dict((p.relationship.uuid, f) for p, f in response.context["rows"])
    assert message in rows[relationship.uuid].errors[field]
    assert message.encode() in response.content
    assert not HoursGoal.objects.exists()


def test_no_one_else_sets_a_trainees_goal(therapist: User, supervisors: tuple[User, User]) -> None:
    relationship = SupervisionRelationship.objects.get(supervisee=therapist, kind="practicum")
    march, _ = supervisors
    for user in (march, UserFactory(role=Role.THERAPIST)):
        response = _client(user).post(
            reverse("integration:supervision_hours"), _form(relationship, 10, 2)
        )
        assert response.status_code == 404
    assert not HoursGoal.objects.exists()
    # The supervisor's landing page does not offer them hours of their own.
    assert b"Your supervised hours" not in _client(march).get("/clinician/").content


@pytest.mark.parametrize("role", ["front_desk", "patient_user", "clinic_admin"])
def test_the_hours_page_is_for_clinicians_only(role: str, request: pytest.FixtureRequest) -> None:
    response = _client(request.getfixturevalue(role)).get(reverse("integration:supervision_hours"))
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("rows", [1, 50])
def test_the_hours_page_keeps_its_query_budget(
    course: Course,
    therapist: User,
    supervisors: tuple[User, User],
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for number in range(rows):
        _visit(course, _local(2026, 4, 1, 8) + timedelta(hours=2 * number), 60)
    for relationship in SupervisionRelationship.objects.filter(supervisee=therapist):
        supervision.hours_goal_set(
            relationship=relationship, direct_hours=100, indirect_hours=10, by=therapist
        )
    client = _client(therapist)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("integration:supervision_hours"))
    assert response.status_code == 200
    assert f"<td>{float(rows)}</td>".encode() in response.content
