"""The clinic admin's supervision page: list, set up and end relationships."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from integration.supervision import services as supervision
from integration.supervision.models import SupervisionRelationship
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "integration:supervision_relationships"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(supervisee: User, supervisor: User, **overrides: str) -> dict[str, str]:
    data = {
        "supervisee": str(supervisee.pk),
        "supervisor": str(supervisor.pk),
        "kind": "practicum",
        "mode": "review",
        "sample_percent": "",
        "starts_on": "2026-01-01",
        "ends_on": "",
    }
    data.update(overrides)
    return data


def test_the_setup_area_links_to_the_supervision_page(clinic_admin: User) -> None:
    response = _client(clinic_admin).get(reverse("clinic:index"))
    assert reverse(URL).encode() in response.content


@pytest.mark.parametrize("role", ["therapist", "prescriber", "front_desk", "patient_user"])
def test_only_clinic_admins_open_the_supervision_page(
    role: str, therapist: User, clinic_admin: User, request: pytest.FixtureRequest
) -> None:
    relationship = supervision.relationship_create(
        supervisee=therapist,
        supervisor=UserFactory(role=Role.THERAPIST),
        kind="practicum",
        mode="cosign",
        starts_on=date(2026, 1, 1),
        by=clinic_admin,
    )
    client = _client(request.getfixturevalue(role))
    assert client.get(reverse(URL)).status_code == 403
    end = reverse("integration:supervision_relationship_end", args=[relationship.uuid])
    assert client.post(end, {"ends_on": "2026-02-01"}).status_code == 403
    relationship.refresh_from_db()
    assert relationship.ends_on is None


def test_the_admin_sets_up_a_sample_review_supervision(
    therapist: User, prescriber: User, clinic_admin: User
) -> None:
    response = _client(clinic_admin).post(
        reverse(URL), _form(therapist, prescriber, mode="sample", sample_percent="25")
    )
    assert response.status_code == 302
    relationship = SupervisionRelationship.objects.get()
    assert (relationship.supervisee, relationship.supervisor) == (therapist, prescriber)
    assert (relationship.mode, relationship.sample_percent) == ("sample", 25)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"supervisor": "self"}, "A clinician cannot supervise themself."),
        ({"mode": "sample"}, "Sample review needs a percentage between 1 and 100."),
        ({"ends_on": "2025-12-01"}, "The end date is before the start date."),
        ({"starts_on": "2026-03-01"}, "These dates overlap another supervision of the same kind."),
    ],
)
def test_bad_input_re_renders_with_the_services_message_and_saves_nothing(
    therapist: User,
    prescriber: User,
    clinic_admin: User,
    overrides: dict[str, str],
    message: str,
) -> None:
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=prescriber,
        kind="practicum",
        mode="cosign",
        starts_on=date(2026, 2, 1),
        by=clinic_admin,
    )
    supervisee = therapist if "starts_on" in overrides else UserFactory(role=Role.THERAPIST)
    supervisor = supervisee if overrides.get("supervisor") == "self" else prescriber
    overrides = {key: value for key, value in overrides.items() if key != "supervisor"}
    response = _client(clinic_admin).post(reverse(URL), _form(supervisee, supervisor, **overrides))
    assert response.status_code == 400
    assert message.encode() in response.content.replace(b"&#x27;", b"'")
    assert SupervisionRelationship.objects.count() == 1


def test_the_admin_ends_a_supervision_and_it_shows_as_past(
    therapist: User, prescriber: User, clinic_admin: User
) -> None:
    relationship = supervision.relationship_create(
        supervisee=therapist,
        supervisor=prescriber,
        kind="fellowship",
        mode="cosign",
        starts_on=date(2025, 1, 1),
        by=clinic_admin,
    )
    client = _client(clinic_admin)
    end = reverse("integration:supervision_relationship_end", args=[relationship.uuid])
    assert client.get(end).status_code == 200
    response = client.post(end, {"ends_on": "2025-06-30"})
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.ends_on == date(2025, 6, 30)
    assert b"Past" in client.get(reverse(URL)).content


def test_ending_before_the_start_is_refused_and_changes_nothing(
    therapist: User, prescriber: User, clinic_admin: User
) -> None:
    relationship = supervision.relationship_create(
        supervisee=therapist,
        supervisor=prescriber,
        kind="fellowship",
        mode="cosign",
        starts_on=date(2025, 1, 1),
        by=clinic_admin,
    )
    end = reverse("integration:supervision_relationship_end", args=[relationship.uuid])
    response = _client(clinic_admin).post(end, {"ends_on": "2024-12-31"})
    assert response.status_code == 400
    assert b"The end date is before the start date." in response.content
    relationship.refresh_from_db()
    assert relationship.ends_on is None


@pytest.mark.parametrize("rows", [1, 30])
def test_the_supervision_page_keeps_its_query_budget(
    clinic_admin: User, rows: int, django_assert_max_num_queries: object
) -> None:
    for number in range(rows):
        supervision.relationship_create(
            supervisee=UserFactory(role=Role.THERAPIST),
            supervisor=UserFactory(role=Role.PRESCRIBER),
            kind="pre_licensure",
            mode="review",
            starts_on=date(2025, 1, 1 + number % 28),
            ends_on=date(2025, 12, 31) if number % 2 else None,
            by=clinic_admin,
        )
    client = _client(clinic_admin)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse(URL))
    assert response.status_code == 200
    assert f"Supervisions ({rows})".encode() in response.content
