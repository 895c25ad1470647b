"""The supervisor draws up a supervisee's report per period; both sign it from their pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from integration.supervision import services as supervision
from integration.supervision.models import SupervisionRelationship, SupervisionReport
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor() -> User:
    return UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")


@pytest.fixture
def relationship(therapist: User, supervisor: User, clinic_admin: User) -> SupervisionRelationship:
    return supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="pre_licensure",
        mode="review",
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )


def _url(relationship: SupervisionRelationship) -> str:
    return reverse("integration:supervision_supervisee_reports", args=[relationship.uuid])


def test_the_queue_links_to_the_supervisees_reports(
    supervisor: User, relationship: SupervisionRelationship
) -> None:
    content = _client(supervisor).get(reverse("integration:supervision_queue")).content
    assert _url(relationship).encode() in content


def test_the_supervisor_draws_up_a_report_and_both_sign_it_by_links(
    therapist: User, supervisor: User, relationship: SupervisionRelationship
) -> None:
    supervision.meeting_record(
        supervisees=[therapist],
        held_on=date(2026, 3, 10),
        format="individual",
        minutes=90,
        case_mrns=[],
        by=supervisor,
    )
    client = _client(supervisor)
    assert client.get(_url(relationship)).status_code == 200
    march = {"first_day": "2026-03-01", "last_day": "2026-03-31"}
    response = client.post(_url(relationship), march)
    assert response.status_code == 302
    report = SupervisionReport.objects.get()
    assert (report.relationship, report.meeting_count, report.indirect_minutes) == (
        relationship,
        1,
        90,
    )
    sign = reverse("integration:supervision_report_sign", args=[report.uuid])
    pdf = reverse("integration:supervision_report_pdf", args=[report.uuid])
    page = client.get(_url(relationship)).content
    assert sign.encode() in page
    assert pdf.encode() in page
    assert client.post(sign).status_code == 302
    # The supervisee finds it from their hours page, and signs it there.
    trainee = _client(therapist)
    my_reports = reverse("integration:supervision_my_reports")
    assert my_reports.encode() in trainee.get(reverse("integration:supervision_hours")).content
    listed = trainee.get(my_reports)
    assert listed.status_code == 200
    assert sign.encode() in listed.content
    assert trainee.post(sign).status_code == 302
    report.refresh_from_db()
    assert report.is_signed_by_both
    assert sign.encode() not in trainee.get(my_reports).content


def test_a_period_ending_before_it_starts_is_refused_and_nothing_is_saved(
    supervisor: User, relationship: SupervisionRelationship
) -> None:
    response = _client(supervisor).post(
        _url(relationship), {"first_day": "2026-03-31", "last_day": "2026-03-01"}
    )
    assert response.status_code == 400
    assert b"The period ends before it starts." in response.content
    assert not SupervisionReport.objects.exists()


def test_a_missing_date_is_refused_and_nothing_is_saved(
    supervisor: User, relationship: SupervisionRelationship
) -> None:
    response = _client(supervisor).post(_url(relationship), {"first_day": "2026-03-01"})
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert not SupervisionReport.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "patient_user", "clinic_admin"])
def test_report_pages_are_for_clinicians_only(
    role: str, relationship: SupervisionRelationship, request: pytest.FixtureRequest
) -> None:
    client = _client(request.getfixturevalue(role))
    assert client.get(_url(relationship)).status_code == 403
    assert client.get(reverse("integration:supervision_my_reports")).status_code == 403


def test_another_supervisor_and_the_supervisee_get_a_404_and_draw_up_nothing(
    therapist: User, relationship: SupervisionRelationship
) -> None:
    other_supervisor = UserFactory(role=Role.THERAPIST)
    data = {"first_day": "2026-03-01", "last_day": "2026-03-31"}
    for user in (other_supervisor, therapist):
        client = _client(user)
        assert client.get(_url(relationship)).status_code == 404
        assert client.post(_url(relationship), data).status_code == 404
    assert not SupervisionReport.objects.exists()


def test_a_supervisee_sees_only_their_own_reports(
    therapist: User, supervisor: User, relationship: SupervisionRelationship
) -> None:
    supervision.report_create(
        relationship=relationship,
        first_day=date(2026, 1, 1),
        last_day=date(2026, 1, 31),
        by=supervisor,
    )
    other = UserFactory(role=Role.THERAPIST)
    response = _client(other).get(reverse("integration:supervision_my_reports"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("rows", [1, 30])
def test_report_pages_keep_their_query_budget(
    therapist: User,
    supervisor: User,
    relationship: SupervisionRelationship,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for number in range(rows):
        first = date(2024, 1, 1) + timedelta(days=number * 7)
        supervision.report_create(
            relationship=relationship,
            first_day=first,
            last_day=first + timedelta(days=6),
            by=supervisor,
        )
    supervisor_client = _client(supervisor)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = supervisor_client.get(_url(relationship))
    assert response.status_code == 200
    assert f"Reports ({rows})".encode() in response.content
    trainee = _client(therapist)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = trainee.get(reverse("integration:supervision_my_reports"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows
