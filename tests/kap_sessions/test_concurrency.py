"""Twenty people book the same slot at the same moment against real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from intake.models import PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import Appointment, AppointmentKind, ClinicianBooking
from tests.factories import LocationFactory, PatientFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 20


def test_twenty_concurrent_bookings_of_one_slot_give_one_booking_and_nineteen_conflicts() -> None:
    assert connection.vendor == "postgresql"
    front_desk = UserFactory(role=Role.FRONT_DESK)
    therapist = UserFactory(role=Role.THERAPIST)
    room = RoomFactory(location=LocationFactory(time_zone="America/New_York"))
    patients = [PatientFactory(status=PatientStatus.CLEARED) for _ in range(BOOKERS)]
    clients = []
    for _ in range(BOOKERS):
        client = Client()
        client.force_login(front_desk)
        clients.append(client)
    barrier = threading.Barrier(BOOKERS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def book(client: Client, patient_uuid: str) -> None:
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/appointments/",
                {
                    "patient": patient_uuid,
                    "kind": AppointmentKind.INTEGRATION,
                    "room": str(room.uuid),
                    "starts_at": "2027-02-01T15:00:00Z",
                    "ends_at": "2027-02-01T16:00:00Z",
                    "therapist": str(therapist.uuid),
                },
                content_type="application/json",
            )
            with lock:
                results.append((response.status_code, response.json().get("detail", "")))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=book, args=(client, str(patient.uuid)))
        for client, patient in zip(clients, patients, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * (BOOKERS - 1), results
    conflicts = [detail for code, detail in results if code == 409]
    assert all("already booked" in detail for detail in conflicts), conflicts
    assert Appointment.objects.count() == 1
    assert ClinicianBooking.objects.count() == 1


def test_an_api_booking_refused_by_a_rule_answers_400_with_its_reason(
    client: Client,
) -> None:
    front_desk: User = UserFactory(role=Role.FRONT_DESK)
    room = RoomFactory()
    patient = PatientFactory(status=PatientStatus.SUBMITTED)
    client.force_login(front_desk)
    response = client.post(
        "/api/v1/appointments/",
        {
            "patient": str(patient.uuid),
            "kind": AppointmentKind.DOSING,
            "room": str(room.uuid),
            "starts_at": "2027-02-01T15:00:00Z",
            "ends_at": "2027-02-01T14:00:00Z",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "end after it starts" in response.json()["detail"]
