"""Fixtures of the ledger tests: a safe at the New York test clinic, an esketamine product
counted in devices and a ketamine solution counted in mL, and sessions under way."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kap_clinic.accounts.models import User
from sessions import dosing, services
from sessions.controlled import services as ledger
from sessions.controlled.models import LedgerEntry, Product, Safe, StockLot
from sessions.models import AppointmentKind, Course, DosingRecord, Location, Room
from tests.kap_sessions.conftest import backdate_check_in, override_every_no_go

FAR_EXPIRY = date(2030, 1, 31)


@pytest.fixture
def safe(clinic: Location) -> Safe:
    return Safe.objects.create(location=clinic, name="Safe A")


@pytest.fixture
def safe_two(clinic: Location) -> Safe:
    return Safe.objects.create(location=clinic, name="Safe B")


@pytest.fixture
def esketamine_product() -> Product:
    return Product.objects.create(
        name="Spravato 28 mg nasal spray",
        ndc="50458-028-02",
        drug="esketamine",
        strength_mg=Decimal("28"),
        form="nasal_device",
        counting_unit="device",
    )


@pytest.fixture
def ketamine_product() -> Product:
    return Product.objects.create(
        name="Ketamine 50 mg/mL",
        ndc="0409-2051-05",
        drug="ketamine",
        strength_mg=Decimal("50"),
        form="vial",
        counting_unit="ml",
    )


def receive(
    product: Product,
    safe: Safe,
    quantity: str,
    *,
    by: User,
    lot_number: str = "LOT-A",
    expires_on: date = FAR_EXPIRY,
) -> StockLot:
    entry: LedgerEntry = ledger.receipt_post(
        product=product,
        safe=safe,
        lot_number=lot_number,
        expires_on=expires_on,
        quantity=quantity,
        supplier="Test Wholesaler",
        invoice_number="INV-1",
        by=by,
    )
    return StockLot.objects.get(id=entry.stock_lot_id)


def session_under_way(course: Course, room: Room, front_desk: User) -> DosingRecord:
    """A dosing session checked in 30 minutes ago, go overridden, started, no dose yet."""
    start = timezone.now() - timedelta(minutes=30)
    appointment = services.appointment_book(
        patient=course.patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        course=course,
        medical_monitor=course.prescriber,
        therapist=course.therapist,
        by=front_desk,
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    record = DosingRecord.objects.get(appointment=appointment)
    readiness = dosing.readiness_for(appointment)
    readiness.weight_kg = Decimal("70")
    readiness.save()
    override_every_no_go(readiness, course.prescriber)
    dosing.dosing_start(record=record, by=course.prescriber)
    return backdate_check_in(record, start)


@pytest.fixture
def ketamine_session(course: Course, room: Room, front_desk: User) -> DosingRecord:
    return session_under_way(course, room, front_desk)


@pytest.fixture
def esketamine_session(esketamine_course: Course, room: Room, front_desk: User) -> DosingRecord:
    return session_under_way(esketamine_course, room, front_desk)


def give(record: DosingRecord, lot: StockLot | None, dose_mg: str, **extra: object) -> object:
    now = timezone.now() - timedelta(minutes=extra.pop("minutes_ago", 0))  # type: ignore[call-overload]
    return dosing.dose_administer(
        record=record,
        dose_mg=dose_mg,
        lot_number="",
        started_at=now,
        ended_at=now,
        by=record.course.prescriber,
        stock_lot=lot,
        **extra,  # type: ignore[arg-type]
    )
