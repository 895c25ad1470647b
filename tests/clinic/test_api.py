"""The read-only credentials API: same access rules as the pages, 4xx with a reason."""

from __future__ import annotations

import pytest
from django.test import Client

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.clinic.conftest import dea_add, licence_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admins_and_front_desk_list_staff_names_and_roles(
    client: Client, clinic_admin: User, front_desk: User, prescriber: User, patient_user: User
) -> None:
    for user in (clinic_admin, front_desk):
        client.force_login(user)
        response = client.get("/api/v1/staff/?role=prescriber")
        assert response.status_code == 200
        assert [row["full_name"] for row in response.json()["results"]] == [prescriber.full_name]
        assert set(response.json()["results"][0]) == {"uuid", "full_name", "role", "role_label"}
    for user in (prescriber, patient_user):
        client.force_login(user)
        assert client.get("/api/v1/staff/").status_code == 403
    client.logout()
    assert client.get("/api/v1/staff/").status_code in (401, 403)


def test_a_bad_filter_answers_400_with_the_reason(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.get("/api/v1/staff/?role=patient")
    assert response.status_code == 400
    assert "role" in response.json()
    response = client.get(f"/api/v1/staff/{clinic_admin.uuid}/credentials/?on=31-12-2026")
    assert response.status_code == 400
    assert "on" in response.json()
    assert client.get("/api/v1/staff/not-a-uuid/credentials/").status_code == 404


def test_credentials_are_read_by_admins_and_their_holder_only(
    client: Client, clinic_admin: User, front_desk: User, prescriber: User, therapist: User
) -> None:
    licence_add(prescriber, number="L-1")
    dea_add(prescriber, number="D-1", schedules="3N")
    path = f"/api/v1/staff/{prescriber.uuid}/credentials/?on=2025-06-01"
    for user in (clinic_admin, prescriber):
        client.force_login(user)
        body = client.get(path).json()
        assert [licence["number"] for licence in body["licences"]] == ["L-1"]
        assert body["licences"][0]["valid"] is True
        assert body["dea_registrations"][0]["schedules"] == ["3N"]
    for user in (front_desk, therapist):
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 403
        assert "own credentials" in response.json()["detail"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_staff_list_endpoint_keeps_its_query_count(
    client: Client, clinic_admin: User, django_assert_max_num_queries: object, rows: int
) -> None:
    for _ in range(rows):
        UserFactory(role=Role.THERAPIST)
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get("/api/v1/staff/")
    assert response.json()["count"] == rows + 1
