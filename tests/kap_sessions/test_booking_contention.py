"""Thirty people book the same patient into the same room at once, on real PostgreSQL.

A deadlock (SQLSTATE 40P01) or a serialization failure (40001) between the exclusion constraints
is retried once and then answered as a booking conflict: never a 500, never two bookings.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from intake.models import PatientStatus
from kap_clinic.accounts.roles import Role
from sessions.models import Appointment, AppointmentKind, ClinicianBooking
from tests.factories import LocationFactory, PatientFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 30


def test_thirty_concurrent_bookings_of_one_patient_and_room_give_one_booking_and_no_500() -> None:
    assert connection.vendor == "postgresql"
    front_desk = UserFactory(role=Role.FRONT_DESK)
    therapists = [UserFactory(role=Role.THERAPIST) for _ in range(BOOKERS)]
    room = RoomFactory(location=LocationFactory(time_zone="America/New_York"))
    patient = PatientFactory(status=PatientStatus.CLEARED)
    barrier = threading.Barrier(BOOKERS)
    results: list[tuple[int, str]] = []
    escaped: list[BaseException] = []
    lock = threading.Lock()

    def book(therapist_uuid: str) -> None:
        client = Client(raise_request_exception=True)
        client.force_login(front_desk)
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/appointments/",
                {
                    "patient": str(patient.uuid),
                    "kind": AppointmentKind.INTEGRATION,
                    "room": str(room.uuid),
                    "starts_at": "2027-02-01T15:00:00Z",
                    "ends_at": "2027-02-01T16:00:00Z",
                    "therapist": therapist_uuid,
                },
                content_type="application/json",
            )
            with lock:
                results.append((response.status_code, response.json().get("detail", "")))
        except BaseException as error:  # noqa: BLE001 - the test reports what escaped
            with lock:
                escaped.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(str(t.uuid),)) for t in therapists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert escaped == []
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * (BOOKERS - 1), results
    conflicts = [detail for code, detail in results if code == 409]
    assert all("already" in detail or "at the same moment" in detail for detail in conflicts)
    assert Appointment.objects.count() == 1
    assert ClinicianBooking.objects.count() == 1


def _abort_like_postgres(sqlstate: str) -> None:
    # A real error from the server with the SQLSTATE a deadlock or serialization failure carries.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{sqlstate}'; END $$"
        )


def _booking_payload(patient_uuid: str, room_uuid: str, therapist_uuid: str) -> dict[str, str]:
    return {
        "patient": patient_uuid,
        "kind": AppointmentKind.INTEGRATION,
        "room": room_uuid,
        "starts_at": "2027-02-01T15:00:00Z",
        "ends_at": "2027-02-01T16:00:00Z",
        "therapist": therapist_uuid,
    }


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_booking_aborted_once_by_the_database_is_retried_and_saved(
    monkeypatch: pytest.MonkeyPatch, sqlstate: str
) -> None:
    from sessions import services

    real_sync = services._sync_clinician_bookings
    calls: list[int] = []

    def sync_aborting_first(appointment: Appointment) -> None:
        calls.append(1)
        if len(calls) == 1:
            _abort_like_postgres(sqlstate)
        real_sync(appointment)

    monkeypatch.setattr(services, "_sync_clinician_bookings", sync_aborting_first)
    client = Client(raise_request_exception=True)
    client.force_login(UserFactory(role=Role.FRONT_DESK))
    therapist = UserFactory(role=Role.THERAPIST)
    room = RoomFactory()
    patient = PatientFactory(status=PatientStatus.CLEARED)
    response = client.post(
        "/api/v1/appointments/",
        _booking_payload(str(patient.uuid), str(room.uuid), str(therapist.uuid)),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert len(calls) == 2
    assert Appointment.objects.count() == 1
    assert ClinicianBooking.objects.count() == 1


def test_a_booking_aborted_twice_by_a_deadlock_answers_409_with_a_clear_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sessions import services

    monkeypatch.setattr(
        services, "_sync_clinician_bookings", lambda appointment: _abort_like_postgres("40P01")
    )
    client = Client(raise_request_exception=True)
    client.force_login(UserFactory(role=Role.FRONT_DESK))
    therapist = UserFactory(role=Role.THERAPIST)
    room = RoomFactory()
    patient = PatientFactory(status=PatientStatus.CLEARED)
    response = client.post(
        "/api/v1/appointments/",
        _booking_payload(str(patient.uuid), str(room.uuid), str(therapist.uuid)),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "at the same moment" in response.json()["detail"]
    assert Appointment.objects.count() == 0
