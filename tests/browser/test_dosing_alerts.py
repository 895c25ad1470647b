"""A dosing session where a blood pressure rise raises an alert that the prescriber acknowledges.
Real Chromium, one desktop context per clinician."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.notifications.models import Message
from sessions import dosing, services
from sessions.models import AppointmentKind, DosingPolicy, DosingRecord, RoomKind
from sessions.monitoring.models import VitalsAlert
from sessions.monitoring.services import VITALS_ALERT_TEMPLATE, room_check_record, room_local_day
from tests.browser.conftest import DESKTOP, overflows_horizontally, unlabelled_controls
from tests.factories import (
    TEST_PASSWORD,
    CourseFactory,
    LocationFactory,
    PatientFactory,
    ProtocolFactory,
    RoomFactory,
    UserFactory,
)
from tests.kap_sessions.conftest import backdate_check_in, override_every_no_go

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(browser: Browser, live_server: LiveServer, user: User) -> Page:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.full_name)
    return page


def _session_under_way(prescriber: User, therapist: User, front_desk: User) -> DosingRecord:
    """Dosed 20 minutes ago in a checked room, baseline 120/80."""
    clinic = LocationFactory(name="Alert Clinic", time_zone="America/New_York")
    room = RoomFactory(location=clinic, name="Treatment A", kind=RoomKind.TREATMENT)
    patient = PatientFactory(
        status=PatientStatus.CLEARED, prescriber=prescriber, therapist=therapist
    )
    course = CourseFactory(
        patient=patient,
        protocol=ProtocolFactory(name="IV alert test"),
        location=clinic,
        prescriber=prescriber,
        therapist=therapist,
        created_by=front_desk,
    )
    start = timezone.now() - timedelta(minutes=30)
    appointment = services.appointment_book(
        patient=patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        course=course,
        medical_monitor=prescriber,
        therapist=therapist,
        by=front_desk,
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    record = backdate_check_in(DosingRecord.objects.get(appointment=appointment), start)
    readiness = dosing.readiness_for(appointment)
    readiness.weight_kg = Decimal("70")
    readiness.baseline_systolic, readiness.baseline_diastolic = 120, 80
    readiness.save()
    override_every_no_go(readiness, prescriber)
    record = dosing.dosing_start(record=record, by=prescriber)
    room_check_record(
        room=room,
        day=room_local_day(room, timezone.now()),
        by=front_desk,
        pulse_oximeter=True,
        blood_pressure_cuff=True,
        oxygen=True,
        suction=True,
        aed=True,
        rescue_medicines_present=DosingPolicy.current().rescue_medicines,
    )
    dosed = timezone.now() - timedelta(minutes=20)
    dosing.dose_administer(
        record=record,
        dose_mg="35",
        lot_number="LOT-A",
        started_at=dosed,
        ended_at=dosed,
        by=prescriber,
    )
    return record


def test_a_bp_rise_typed_in_the_vitals_row_raises_an_alert_the_prescriber_acknowledges(
    browser: Browser, live_server: LiveServer
) -> None:
    prescriber = UserFactory(role=Role.PRESCRIBER, full_name="Dr. Ada Alert")
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Sitter")
    front_desk = UserFactory(role=Role.FRONT_DESK, full_name="Fran Desk")
    record = _session_under_way(prescriber, therapist, front_desk)
    url = f"{live_server.url}/sessions/dosing/{record.uuid}/"
    errors: list[str] = []

    # --- the therapist types a reading with the keyboard only; Enter saves without a reload ----
    sitter = _signed_in(browser, live_server, therapist)
    sitter.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sitter.goto(url)
    expect(sitter.get_by_test_id("open-alerts")).to_have_text("0 open alerts")
    expect(sitter.get_by_label("Systolic", exact=True)).to_be_focused()
    sitter.evaluate("window.notReloaded = true")
    for value in ("162", "84", "88", "97"):
        sitter.keyboard.type(value)
        sitter.keyboard.press("Tab")
    sitter.keyboard.press("Enter")
    expect(sitter.get_by_test_id("open-alerts")).to_have_text("1 open alert")
    expect(sitter.get_by_role("alert").first).to_contain_text(
        "Systolic BP 162 is 42 mmHg above baseline 120"
    )
    expect(sitter.get_by_role("cell", name="162/84")).to_be_visible()
    assert sitter.evaluate("window.notReloaded") is True  # saved through htmx, no reload
    expect(sitter.get_by_label("Systolic", exact=True)).to_be_focused()
    assert unlabelled_controls(sitter) == []
    assert not overflows_horizontally(sitter)
    # The responsible prescriber got an urgent message, ids only.
    message = Message.objects.get(template_key=VITALS_ALERT_TEMPLATE)
    assert (message.recipient_user_id, message.urgent) == (prescriber.id, True)

    # --- the live board shows the alert --------------------------------------------------------
    doctor = _signed_in(browser, live_server, prescriber)
    doctor.on("console", lambda m: m.type == "error" and errors.append(m.text))
    location = record.appointment.location
    doctor.goto(f"{live_server.url}/sessions/locations/{location.uuid}/live/")
    expect(doctor.get_by_test_id("board-alerts")).to_contain_text(
        "Systolic rise from baseline: 162/84"
    )

    # --- the prescriber acknowledges it with the action taken -----------------------------------
    doctor.get_by_role("link", name=record.appointment.patient.display_name).click()
    expect(doctor.get_by_test_id("open-alerts")).to_have_text("1 open alert")
    doctor.get_by_role("button", name="Acknowledge").click()  # empty: the browser refuses
    assert VitalsAlert.objects.get().is_open
    doctor.get_by_label("Action taken for the open alerts").fill(
        "Repeated 150/82 at bedside; observing"
    )
    doctor.get_by_role("button", name="Acknowledge").click()
    expect(doctor.get_by_test_id("open-alerts")).to_have_text("0 open alerts")
    expect(doctor.get_by_text("Repeated 150/82 at bedside; observing")).to_be_visible()
    alert = VitalsAlert.objects.get()
    assert alert.acknowledged_by == prescriber

    # --- the therapist's page clears the alert on its 15-second refresh -------------------------
    expect(sitter.get_by_test_id("open-alerts")).to_have_text("0 open alerts", timeout=20_000)
    assert sitter.evaluate("window.notReloaded") is True
    assert errors == []
    for page in (sitter, doctor):
        page.context.close()
