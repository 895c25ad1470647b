"""A therapist writes, signs and amends an integration note; a patient answers a PHQ-9 from the
link; the trend shows the score. Real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from integration import measures
from integration.models import MeasureOccasion, MeasureRequest, Note, NoteTemplate
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.browser.conftest import DESKTOP, PHONE, overflows_horizontally, unlabelled_controls
from tests.factories import (
    TEST_PASSWORD,
    CourseFactory,
    IntegrationAppointmentFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(browser: Browser, live_server: LiveServer, user: User, viewport: dict) -> Page:  # type: ignore[type-arg]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.full_name)
    return page


def test_therapist_signs_and_amends_a_note_and_a_patient_answers_a_phq9_seen_in_the_trend(
    browser: Browser, live_server: LiveServer
) -> None:
    # Data migrations are flushed between transactional tests: the template is made here.
    NoteTemplate.objects.filter(kind="integration").delete()
    NoteTemplate.objects.create(
        kind="integration", name="Integration", sections="Themes and images\nPlan", is_default=True
    )
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    prescriber = UserFactory(role=Role.PRESCRIBER, full_name="Dr. Pia Prescriber")
    patient_user = UserFactory(role=Role.PATIENT, full_name="Sam Patient")
    patient = PatientFactory(user=patient_user, therapist=therapist, prescriber=prescriber)
    course = CourseFactory(patient=patient, therapist=therapist, prescriber=prescriber)
    appointment = IntegrationAppointmentFactory(course=course, kind="integration")

    # The therapist writes the note (autosaved), signs it and adds an addendum.
    page = _signed_in(browser, live_server, therapist, PHONE)
    page.goto(f"{live_server.url}/integration/appointments/{appointment.uuid}/note/")
    page.get_by_role("button", name="Start the note").click()
    body = page.get_by_label("Note text")
    expect(body).to_have_value("Themes and images:\n\n\nPlan:\n")
    body.fill("Themes and images: the sea.\n\nPlan: walk daily.")
    body.press("End")
    body.blur()  # the change event: autosave fires on change and after keyup
    expect(page.get_by_role("status")).to_contain_text("Draft saved", timeout=15_000)
    assert Note.objects.get().body == "Themes and images: the sea.\n\nPlan: walk daily."
    assert unlabelled_controls(page) == []
    assert not overflows_horizontally(page)
    page.get_by_role("button", name="Sign note").click()
    # The confirmation step names the consequence before the note is locked.
    expect(page.get_by_role("alert")).to_contain_text("Signing locks the note")
    page.get_by_role("button", name="Sign the note").click()
    expect(page.get_by_text("Signed by Theo Therapist")).to_be_visible()
    expect(page.get_by_label("Note text")).to_have_count(0)
    page.get_by_label("Addendum").fill("Phoned the next day: settled.")
    page.get_by_role("button", name="Sign addendum").click()
    expect(page.get_by_text("Phoned the next day: settled.")).to_be_visible()
    assert Note.objects.get().addenda.count() == 1

    # The patient answers a PHQ-9 from the link in their message.
    now = timezone.now()
    measure = MeasureRequest.objects.create(
        course=course,
        patient=patient,
        instrument_key="phq9",
        occasion=MeasureOccasion.WEEKLY,
        due_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(days=7),
    )
    link = f"{live_server.url}/integration/measures/{measures.measure_token(measure)}/"
    patient_page = _signed_in(browser, live_server, patient_user, DESKTOP)
    patient_page.goto(link)
    for group in patient_page.get_by_role("group").all():
        group.get_by_label("Several days").check()
    patient_page.get_by_role("button", name="Send answers").click()
    expect(patient_page.get_by_role("heading", name="Thank you")).to_be_visible()
    patient_page.goto(link)
    expect(patient_page.get_by_text("answered already")).to_be_visible()

    # The trend shows the score (9 items x 1 = 9).
    page.goto(f"{live_server.url}/integration/patients/{patient.uuid}/trends/")
    chart = page.get_by_role("img", name="PHQ-9 over time")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text(f"{now:%Y-%m-%d}: 9")
