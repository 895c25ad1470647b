"""Set-up pages for locations, rooms, opening hours and site certifications."""

from __future__ import annotations

import pytest
from django.test import Client

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import Location, OpeningHours, Room, SiteCertification
from tests.factories import LocationFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_location_with_its_rooms(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        "/sessions/setup/locations/new/",
        {
            "name": "North Clinic",
            "address": "2 North Road",
            "phone": "555-0111",
            "place_of_service": "11",
            "time_zone": "America/Chicago",
            "is_active": "on",
            "room_names": "Room A\nRoom B\n",
        },
    )
    assert response.status_code == 302
    location = Location.objects.get(name="North Clinic")
    assert sorted(location.rooms.values_list("name", flat=True)) == ["Room A", "Room B"]
    assert location.place_of_service == "11"
    assert AuditEvent.objects.filter(object_id=str(location.uuid), action="create").exists()


def test_a_room_without_a_location_is_refused_on_the_field(
    client: Client, clinic_admin: User
) -> None:
    client.force_login(clinic_admin)
    before = Room.objects.count()
    response = client.post(
        "/sessions/setup/rooms/new/", {"location": "", "name": "Orphan", "kind": "treatment"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["location"] == ["Choose the location this room is in."]
    assert Room.objects.count() == before


def test_a_duplicate_room_name_is_refused_on_the_field(client: Client, clinic_admin: User) -> None:
    room = RoomFactory(name="Quiet Room")
    client.force_login(clinic_admin)
    response = client.post(
        "/sessions/setup/rooms/new/",
        {
            "location": room.location.id,
            "name": "quiet room",
            "kind": "treatment",
            "is_active": "on",
        },
    )
    assert "already" in response.context["form"].errors["name"][0]
    assert Room.objects.filter(location=room.location).count() == 1


def test_opening_hours_that_close_before_they_open_are_refused(
    client: Client, clinic_admin: User
) -> None:
    location = LocationFactory()
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/setup/locations/{location.uuid}/",
        {"weekday": 0, "opens_at": "17:00", "closes_at": "09:00"},
    )
    assert response.context["hours_form"].errors["closes_at"]
    assert not OpeningHours.objects.exists()
    client.post(
        f"/sessions/setup/locations/{location.uuid}/",
        {"weekday": 0, "opens_at": "09:00", "closes_at": "17:00"},
    )
    assert OpeningHours.objects.get().location == location


def test_a_rems_certification_is_recorded_and_bad_dates_refused(
    client: Client, clinic_admin: User
) -> None:
    location = LocationFactory()
    client.force_login(clinic_admin)
    path = f"/sessions/setup/locations/{location.uuid}/certifications/new/"
    data = {
        "kind": "esketamine_rems",
        "number": "REMS-1",
        "issuer": "Spravato REMS",
        "issued_on": "2026-01-01",
        "expires_on": "2025-12-31",
    }
    response = client.post(path, data)
    assert response.context["form"].errors["expires_on"] == [
        "The expiry date is before the issue date."
    ]
    assert not SiteCertification.objects.exists()
    client.post(path, {**data, "expires_on": "2027-12-31"})
    certification = SiteCertification.objects.get()
    assert certification.get_kind_display() == "Esketamine (Spravato) REMS healthcare setting"
    page = client.get(f"/sessions/setup/locations/{location.uuid}/").content.decode()
    assert "REMS-1" in page


def test_clinicians_and_front_desk_cannot_change_locations(
    client: Client, front_desk: User, therapist: User
) -> None:
    location = LocationFactory()
    for user in (front_desk, therapist):
        client.force_login(user)
        assert client.get(f"/sessions/setup/locations/{location.uuid}/").status_code == 403
        assert (
            client.post(f"/sessions/setup/locations/{location.uuid}/edit/", {}).status_code == 403
        )


@pytest.mark.parametrize("rows", [1, 50])
def test_the_location_list_keeps_its_query_count(
    client: Client, clinic_admin: User, django_assert_max_num_queries: object, rows: int
) -> None:
    for n in range(rows):
        location = LocationFactory()
        RoomFactory(location=location)
        SiteCertification.objects.create(
            location=location,
            kind="esketamine_rems",
            number=f"R{n}",
            issuer="REMS",
            expires_on="2030-01-01",
        )
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get("/sessions/setup/locations/")
    assert response.content.decode().count("Esketamine (Spravato) REMS") == rows
