"""In Chromium: a therapist goes from "My day" to writing and signing the note of the session
they just sat, without typing a URL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from integration.models import Note, NoteTemplate
from kap_clinic.accounts.roles import Role
from sessions.selectors import local_day_bounds
from tests.browser.conftest import DESKTOP, PHONE, overflows_horizontally, unlabelled_controls
from tests.factories import (
    TEST_PASSWORD,
    CourseFactory,
    IntegrationAppointmentFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_goes_from_my_day_to_a_signed_note_by_clicks_alone(
    browser: Browser, live_server: LiveServer
) -> None:
    # Data migrations are flushed between transactional tests: the template is made here.
    NoteTemplate.objects.filter(kind="integration").delete()
    NoteTemplate.objects.create(
        kind="integration", name="Integration", sections="Themes\nPlan", is_default=True
    )
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    prescriber = UserFactory(role=Role.PRESCRIBER)
    patient = PatientFactory(
        legal_first_name="Robin",
        legal_last_name="Quill",
        therapist=therapist,
        prescriber=prescriber,
    )
    course = CourseFactory(patient=patient, therapist=therapist, prescriber=prescriber)
    day_start, _ = local_day_bounds(timezone.localdate(), time_zone=settings.TIME_ZONE)
    starts_at = max(timezone.now() - timedelta(minutes=70), day_start)
    appointment = IntegrationAppointmentFactory(
        course=course,
        kind="integration",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
        status="completed",
    )

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Signed in, the therapist lands on "My day", which lists the session just sat.
    row = page.get_by_test_id("my-day-row").filter(has_text="Robin Quill")
    expect(row).to_contain_text("Integration session")
    row.get_by_role("button", name="Write the note").click()
    body = page.get_by_label("Note text")
    expect(body).to_have_value("Themes:\n\n\nPlan:\n")
    body.fill("Themes: the sea.\n\nPlan: walk daily.")
    page.get_by_role("button", name="Sign note").click()
    # The confirmation step names the consequence before the note is locked.
    expect(page.get_by_role("alert")).to_contain_text("Signing locks the note")
    page.get_by_role("button", name="Sign the note").click()
    expect(page.get_by_text("Signed by Theo Therapist")).to_be_visible()
    note = Note.objects.get(appointment=appointment)
    assert note.is_signed
    assert note.body.replace("\r\n", "\n") == "Themes: the sea.\n\nPlan: walk daily."
    # Back to the chart by its breadcrumb: the notes section lists it as final.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Notes").click()
    expect(page.get_by_role("heading", name="Robin Quill")).to_be_visible()
    expect(page.get_by_role("cell", name="Final")).to_be_visible()
    assert not overflows_horizontally(page)
    context.close()


def test_a_patient_on_a_phone_writes_and_the_therapist_answers_from_the_chart(
    browser: Browser, live_server: LiveServer
) -> None:
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    patient_user = UserFactory(role=Role.PATIENT, full_name="Robin Quill")
    patient = PatientFactory(
        legal_first_name="Robin",
        legal_last_name="Quill",
        user=patient_user,
        therapist=therapist,
        prescriber=UserFactory(role=Role.PRESCRIBER),
    )

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.set_default_timeout(15_000)
    phone.goto(f"{live_server.url}/")
    phone.get_by_label("Email").fill(patient_user.email)
    phone.get_by_label("Password").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_test_id("signed-in-as")).to_contain_text("Robin Quill")
    phone.get_by_role("button", name="Show navigation").click()
    phone.get_by_role("link", name="Messages").click()
    expect(phone.get_by_text("not monitored in real time")).to_be_visible()
    phone.get_by_label("Subject").fill("After the session")
    phone.get_by_role("textbox", name=re.compile(r"^\s*Message")).fill(
        "Is it normal to feel tired the next day?"
    )
    phone.get_by_role("button", name="Send message").click()
    expect(phone.get_by_test_id("thread-message")).to_have_count(1)
    assert unlabelled_controls(phone) == []
    assert not overflows_horizontally(phone)

    desk = browser.new_context(viewport=DESKTOP).new_page()
    desk.set_default_timeout(15_000)
    desk.goto(f"{live_server.url}/")
    desk.get_by_label("Email").fill(therapist.email)
    desk.get_by_label("Password").fill(TEST_PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.get_by_label("Find a patient (name, MRN, date of birth, phone or email)").fill("quill")
    desk.keyboard.press("Enter")
    desk.get_by_role("link", name="Quill, Robin").click()
    desk.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Messages"
    ).click()
    desk.get_by_role("link", name="After the session").click()
    desk.get_by_label("Your reply").fill("Yes, that is common. Rest today; we talk on Thursday.")
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.get_by_test_id("thread-message")).to_have_count(2)

    phone.reload()
    expect(phone.get_by_test_id("thread-message").nth(1)).to_contain_text("we talk on Thursday")
    assert patient.threads.get().messages.count() == 2
