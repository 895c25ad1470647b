"""Front desk books a course for a cleared patient; a prescriber and a therapist run a dosing
session with vitals and discharge the patient. Real Chromium, one desktop context per person."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    DosingPolicy,
    DosingRecord,
    DosingStatus,
    OpeningHours,
    RoomKind,
)
from tests.browser.conftest import DESKTOP, overflows_horizontally, unlabelled_controls
from tests.factories import (
    TEST_PASSWORD,
    LocationFactory,
    PatientFactory,
    ProtocolFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = ZoneInfo("America/New_York")


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


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def test_front_desk_books_a_course_then_a_prescriber_and_therapist_run_and_discharge_a_dose(
    browser: Browser, live_server: LiveServer
) -> None:
    front_desk = UserFactory(role=Role.FRONT_DESK, full_name="Dana Desk")
    prescriber = UserFactory(role=Role.PRESCRIBER, full_name="Dr. Pat Prescriber")
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    location = LocationFactory(name="Harbour Test Clinic", time_zone="America/New_York")
    for weekday in range(7):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens_at=time(8), closes_at=time(18)
        )
    RoomFactory(location=location, name="Treatment A", kind=RoomKind.TREATMENT)
    RoomFactory(location=location, name="Consult B", kind=RoomKind.CONSULTATION)
    ProtocolFactory(name="IV induction (test)")
    patient = PatientFactory(
        legal_first_name="Avery",
        legal_last_name="Testpatel",
        status=PatientStatus.CLEARED,
        prescriber=prescriber,
        therapist=therapist,
        user=UserFactory(role=Role.PATIENT),
    )
    errors: list[str] = []

    # --- front desk plans and books the course -------------------------------------------------
    desk = _signed_in(browser, live_server, front_desk)
    desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
    desk.get_by_role("link", name="Sessions for Avery Testpatel").click()
    desk.get_by_role("link", name="Plan a course").click()
    assert unlabelled_controls(desk) == []
    desk.get_by_label("Protocol").select_option(label="IV induction (test)")
    desk.get_by_label("Location").select_option(label="Harbour Test Clinic")
    tomorrow = (datetime.now(tz=ZONE) + timedelta(days=1)).date()
    desk.get_by_label("Start date").fill(tomorrow.isoformat())
    desk.get_by_role("button", name="Plan the course").click()
    expect(desk.get_by_role("heading", name="Plan: IV induction (test)")).to_be_visible()
    assert unlabelled_controls(desk) == []
    desk.get_by_role("button", name="Confirm and book").click()
    expect(desk.get_by_text("Booked 13 appointments.")).to_be_visible()
    assert Appointment.objects.filter(patient=patient).count() == 13
    assert not overflows_horizontally(desk)

    # --- the prescriber sets the dose and signs the treatment plan (front desk cannot) ---------
    course = Course.objects.get(patient=patient)
    planner = _signed_in(browser, live_server, prescriber)
    planner.goto(f"{live_server.url}/sessions/courses/{course.uuid}/")
    expect(planner.get_by_test_id("plan-signature")).to_contain_text("Not signed yet")
    planner.get_by_label("Planned dose").fill("0.5")
    planner.get_by_role("button", name="Sign the treatment plan").click()
    planner.get_by_role("button", name="Sign the treatment plan").click()  # the confirmation
    expect(planner.get_by_test_id("plan-signature")).to_contain_text("Signed by Dr. Pat Prescriber")

    # --- front desk checks the patient in for the first dose ----------------------------------
    dose_appointment = Appointment.objects.filter(kind=AppointmentKind.DOSING).earliest("starts_at")
    # Check-in opens 2 hours before a session (policy): the first dose is moved to this morning.
    now = datetime.now(tz=ZONE)
    Appointment.objects.filter(id=dose_appointment.id).update(
        starts_at=now - timedelta(minutes=110), ends_at=now + timedelta(minutes=40)
    )
    desk.goto(f"{live_server.url}/sessions/appointments/{dose_appointment.uuid}/")
    desk.get_by_role("link", name="Check in").click()
    desk.get_by_label("Identity confirmed").check()
    desk.get_by_label("Consent current").check()
    desk.get_by_label("Escort confirmed").check()
    desk.get_by_label("Last ate (solid food)").fill(_local(now - timedelta(hours=8)))
    desk.get_by_label("Last drank (clear liquids)").fill(_local(now - timedelta(hours=3)))
    desk.get_by_label("Today's weight").fill("154.4")
    desk.get_by_label("Weight unit").select_option("lb")
    for item in range(1, 10):
        desk.get_by_label(f"PHQ-9 {item}:").select_option(
            label="Several days" if item < 9 else "Not at all"
        )
    desk.get_by_label("Pregnancy test date").fill(now.date().isoformat())
    desk.get_by_label("Pregnancy test method").select_option(label="Urine hCG")
    desk.get_by_label("Pregnancy test result").select_option(label="Negative")
    desk.get_by_label("Baseline systolic BP").fill("122")
    desk.get_by_label("Baseline diastolic BP").fill("78")
    desk.get_by_label("Baseline heart rate").fill("70")
    desk.get_by_label("Baseline SpO2 (%)").fill("98")
    desk.get_by_label("Mood check").fill("Settled")
    desk.get_by_role("button", name="Check in").click()
    expect(desk.get_by_test_id("appointment-status")).to_contain_text("Checked in")
    # As if the patient had arrived with the appointment (the dose below started 100 min ago).
    Appointment.objects.filter(id=dose_appointment.id).update(
        checked_in_at=now - timedelta(minutes=110)
    )
    DosingRecord.objects.filter(appointment=dose_appointment).update(
        arrived_at=now - timedelta(minutes=110)
    )
    # Front desk sees no dosing record link.
    expect(desk.get_by_role("link", name="Open the dosing record")).to_have_count(0)

    # --- the prescriber overrides the missing patient form and doses --------------------------
    doctor = _signed_in(browser, live_server, prescriber)
    doctor.on("console", lambda m: m.type == "error" and errors.append(m.text))
    doctor.goto(f"{live_server.url}/sessions/appointments/{dose_appointment.uuid}/")
    doctor.get_by_role("link", name="Open the dosing record").click()
    expect(
        doctor.get_by_text("The patient's part of the readiness checklist is missing.")
    ).to_be_visible()
    doctor.get_by_role("button", name="Start the session").click()
    expect(doctor.get_by_text("No-go:")).to_be_visible()
    doctor.get_by_label("Reason for overriding").fill("Patient answered on paper")
    doctor.get_by_role("button", name="Override this reason").click()
    doctor.get_by_role("button", name="Start the session").click()
    expect(doctor.get_by_test_id("dosing-status")).to_have_text("Dosing and monitoring")
    assert unlabelled_controls(doctor) == []
    # The room's emergency checklist must be complete before its first dose of the day.
    doctor.get_by_role("link", name="Complete the room's emergency checklist").click()
    for item in (
        "Pulse oximeter working",
        "Blood pressure cuff working",
        "Oxygen available and full",
        "Suction working",
        "AED (defibrillator) charged",
        *DosingPolicy.current().rescue_medicines,
    ):
        doctor.get_by_label(item).check()
    assert unlabelled_controls(doctor) == []
    doctor.get_by_role("button", name="Save the checklist").click()
    expect(doctor.get_by_test_id("dosing-status")).to_have_text("Dosing and monitoring")
    expect(doctor.get_by_test_id("room-check-warning")).to_have_count(0)
    now = datetime.now(tz=ZONE)
    doctor.get_by_label("Dose (mg)").fill("35")
    doctor.get_by_label("Lot number").fill("LOT-2027-A")
    doctor.get_by_label("Dose started").fill(_local(now - timedelta(minutes=100)))
    doctor.get_by_label("Dose ended").fill(_local(now - timedelta(minutes=60)))
    doctor.get_by_role("button", name="Record dose").click()
    expect(doctor.get_by_test_id("cumulative-dose")).to_have_text("35.0 mg")
    expect(doctor.get_by_test_id("next-due")).to_contain_text("overdue")

    # --- the therapist records vitals ----------------------------------------------------------
    sitter = _signed_in(browser, live_server, therapist)
    sitter.on("console", lambda m: m.type == "error" and errors.append(m.text))
    record = DosingRecord.objects.get(appointment=dose_appointment)
    sitter.goto(f"{live_server.url}/sessions/dosing/{record.uuid}/")
    expect(sitter.get_by_text("LOT-2027-A")).to_have_count(0)
    for minutes_ago, systolic in ((60, 138), (5, 126)):
        sitter.get_by_label("Taken at (blank: now)").fill(
            _local(now - timedelta(minutes=minutes_ago))
        )
        sitter.get_by_label("Systolic", exact=True).fill(str(systolic))
        sitter.get_by_label("Diastolic", exact=True).fill("80")
        sitter.get_by_label("Heart rate", exact=True).fill("74")
        sitter.get_by_label("SpO2 %", exact=True).fill("97")
        sitter.get_by_role("button", name="Record vitals").click()
        expect(sitter.get_by_role("cell", name=f"{systolic}/80")).to_be_visible()
    sitter.get_by_label("Systolic", exact=True).fill("400")
    sitter.get_by_label("Diastolic", exact=True).fill("80")
    sitter.get_by_label("Heart rate", exact=True).fill("74")
    sitter.get_by_label("SpO2 %", exact=True).fill("97")
    sitter.get_by_role("button", name="Record vitals").click()
    expect(sitter.get_by_text("50-300: check the reading.")).to_be_visible()
    # Sedation and dissociation reassessed, resolved, just before discharge.
    sitter.get_by_label("Assessed at").fill(_local(datetime.now(tz=ZONE)))
    sitter.get_by_label(re.compile(r"^\s*Sedation, MOAA/S")).select_option(value="5")
    for item in (1, 2, 6, 7, 15, 22):
        sitter.get_by_label(re.compile(rf"^\s*CADSS {item}\.")).select_option(value="0")
    sitter.get_by_role("button", name="Record scores").click()
    expect(sitter.get_by_text("MOAA/S 5")).to_be_visible()

    # --- the prescriber discharges ---------------------------------------------------------------
    doctor.reload()
    doctor.get_by_label("Vitals near baseline").check()
    doctor.get_by_label("Alert and oriented").check()
    doctor.get_by_label("Walking unaided").check()
    doctor.get_by_label("Escort present").check()
    doctor.get_by_label("Would have been ready to leave at").fill(
        _local(now - timedelta(minutes=2))
    )
    doctor.get_by_label("I acknowledge the missed vitals checks").check()
    doctor.get_by_label("Session summary for the chart").fill("Tolerated well; calm emergence.")
    doctor.get_by_role("button", name="Discharge").click()
    expect(doctor.get_by_test_id("dosing-status")).to_have_text("Discharged")
    record.refresh_from_db()
    assert record.status == DosingStatus.DISCHARGED
    dose_appointment.refresh_from_db()
    assert dose_appointment.status == AppointmentStatus.COMPLETED
    assert record.vitals.count() == 2
    # Refusals answer 400 (the no-go start) and 422 (systolic 400 in the vitals row), which
    # Chromium logs; nothing else may.
    unexpected = [
        error
        for error in errors
        if "status of 400 (Bad Request)" not in error and "status of 422" not in error
    ]
    assert unexpected == [], "a page logged errors (a CSP violation shows here)"
    assert len(errors) == 2
    for page in (desk, doctor, sitter):
        page.context.close()
