"""Two administrations from the last device of a lot at the same moment, on real PostgreSQL:
the lot's balance row is locked, so exactly one is posted."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.controlled.models import EntryKind, LedgerEntry, Product, Safe, StockLot
from sessions.models import DoseAdministration, DosingRecord, Location, Protocol
from tests.factories import CourseFactory, PatientFactory, RoomFactory, UserFactory, rems_ready
from tests.kap_sessions.conftest import room_emergency_check_complete
from tests.kap_sessions.controlled.conftest import give, receive, session_under_way

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_doses_from_the_last_device_at_once_post_exactly_one(
    clinic: Location,
    esketamine_protocol: Protocol,
    esketamine_product: Product,
    safe: Safe,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> None:
    assert connection.vendor == "postgresql"
    sessions: list[DosingRecord] = []
    for number in range(2):
        room = RoomFactory(location=clinic, name=f"Treatment {number}", kind="treatment")
        room_emergency_check_complete(room, by=therapist)
        # Two rooms, two care teams: only the lot is shared.
        course = CourseFactory(
            patient=PatientFactory(status="cleared", time_zone="America/New_York"),
            protocol=esketamine_protocol,
            location=clinic,
            prescriber=UserFactory(role=Role.PRESCRIBER),
            therapist=UserFactory(role=Role.THERAPIST),
            planned_dose=56,
            created_by=front_desk,
        )
        rems_ready(course.patient, clinic, by=course.prescriber)
        sessions.append(session_under_way(course, room, front_desk))
    lot = receive(esketamine_product, safe, "1", by=prescriber)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def dose(record: DosingRecord) -> None:
        try:
            barrier.wait()
            try:
                give(record, lot, "28")
                outcome = "posted"
            except ValidationError as error:
                outcome = " ".join(error.messages)
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dose, args=(record,)) for record in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[1] == "posted", outcomes
    assert "has no balance" in sorted(outcomes)[0], outcomes
    assert StockLot.objects.get(id=lot.id).balance == Decimal("0")
    assert LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).count() == 1
    assert DoseAdministration.objects.count() == 1
