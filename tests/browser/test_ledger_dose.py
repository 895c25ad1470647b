"""Issue 16: in Chromium, a prescriber doses an esketamine patient from a lot in the safe and
the controlled-substance ledger shows the device given and the lot's running balance. The
session up to the dose is set up through the services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import PatientStatus, SexAtBirth
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions import dosing, services
from sessions.controlled import services as ledger
from sessions.controlled.models import EntryKind, LedgerEntry, Product, Safe, StockLot
from sessions.models import AppointmentKind, DosingRecord, OpeningHours, RoomKind
from tests.browser.conftest import DESKTOP, unlabelled_controls
from tests.factories import (
    TEST_PASSWORD,
    CourseFactory,
    LocationFactory,
    PatientFactory,
    ProtocolFactory,
    RoomFactory,
    UserFactory,
    rems_ready,
)
from tests.kap_sessions.conftest import override_every_no_go, room_emergency_check_complete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("America/New_York")


def _esketamine_session_started(prescriber: User, therapist: User) -> DosingRecord:
    desk = UserFactory(role=Role.FRONT_DESK)
    location = LocationFactory(name="Harbour Test Clinic", time_zone="America/New_York")
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=time(0), closes_at=time(23, 59)
        )
    room = RoomFactory(location=location, name="Treatment A", kind=RoomKind.TREATMENT)
    room_emergency_check_complete(room, by=desk)
    patient = PatientFactory(
        legal_first_name="Robin",
        legal_last_name="Testledger",
        status=PatientStatus.CLEARED,
        sex_at_birth=SexAtBirth.MALE,
        prescriber=prescriber,
        therapist=therapist,
    )
    course = CourseFactory(
        patient=patient,
        protocol=ProtocolFactory(name="Esketamine (test)", esketamine=True),
        location=location,
        prescriber=prescriber,
        therapist=therapist,
        planned_dose=Decimal("56"),
        created_by=desk,
    )
    now = datetime.now(tz=ZONE)
    start = now - timedelta(minutes=30)
    appointment = services.appointment_book(
        patient=patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=now + timedelta(minutes=120),
        course=course,
        medical_monitor=prescriber,
        therapist=therapist,
        by=desk,
    )
    services.appointment_check_in(appointment=appointment, by=desk)
    record = DosingRecord.objects.get(appointment=appointment)
    type(appointment).objects.filter(id=appointment.id).update(checked_in_at=start)
    DosingRecord.objects.filter(id=record.id).update(arrived_at=start)
    override_every_no_go(dosing.readiness_for(appointment), prescriber)
    rems_ready(patient, location, by=prescriber)
    record = dosing.dosing_start(record=DosingRecord.objects.get(id=record.id), by=prescriber)
    safe = Safe.objects.create(location=location, name="Treatment safe")
    product = Product.objects.create(
        name="Spravato 28 mg nasal spray",
        ndc="50458-028-02",
        drug="esketamine",
        strength_mg=Decimal("28"),
        form="nasal_device",
        counting_unit="device",
    )
    ledger.receipt_post(
        product=product,
        safe=safe,
        lot_number="ESK-L1",
        expires_on=date(2030, 6, 30),
        quantity="4",
        supplier="Test Wholesaler",
        invoice_number="INV-77",
        by=prescriber,
    )
    return record


def test_a_prescriber_doses_from_the_safe_and_the_ledger_shows_the_device(
    browser: Browser, live_server: LiveServer
) -> None:
    prescriber = UserFactory(role=Role.PRESCRIBER, full_name="Dr. Ledger Test")
    therapist = UserFactory(role=Role.THERAPIST)
    record = _esketamine_session_started(prescriber, therapist)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(prescriber.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(prescriber.full_name)

    page.goto(f"{live_server.url}/sessions/dosing/{record.uuid}/")
    page.get_by_label("Dose (mg)").fill("28")
    page.get_by_label("Lot from the safe").select_option(
        label=("ESK-L1 · Spravato 28 mg nasal spray · Treatment safe · expires 30 Jun 2030")
    )
    page.get_by_role("button", name="Record dose").click()
    expect(page.get_by_text("This session: 28.00 mg")).to_be_visible()
    assert StockLot.objects.get().balance == Decimal("3")

    page.get_by_role("link", name="Controlled substances").first.click()
    expect(page.get_by_role("heading", name="Controlled substances")).to_be_visible()
    expect(page.get_by_role("row", name="ESK-L1")).to_contain_text("3 devices")
    page.get_by_role("link", name="ESK-L1").click()
    administration = page.get_by_role("row").filter(has_text="Administration")
    expect(administration).to_contain_text("-1 devices")
    expect(administration).to_contain_text("3 devices")
    expect(administration).to_contain_text("Robin Testledger")
    expect(administration).to_contain_text("1 devices given")
    assert unlabelled_controls(page) == []
    entry = LedgerEntry.objects.get(kind=EntryKind.ADMINISTRATION)
    assert entry.recorded_by == prescriber
    context.close()
