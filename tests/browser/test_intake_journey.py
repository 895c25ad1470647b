"""At 375 px in Chromium: a patient opens the invitation, leaves halfway, resumes and submits;
then a prescriber and a therapist clear the patient."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from intake import services
from intake.forms import MEDICAL_CONDITIONS, SUBSTANCES
from intake.instruments import GAD7, PCL5, PHQ9, Instrument
from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from tests.browser.conftest import PHONE, overflows_horizontally, unlabelled_controls
from tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATIENT_PASSWORD = "synthetic-phone-pass-2026"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context(viewport=PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


def choose(page: Page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def next_step(page: Page, heading: str) -> None:
    assert unlabelled_controls(page) == []
    assert not overflows_horizontally(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def answer_instrument(page: Page, instrument: Instrument, answer: str) -> None:
    for item in instrument.items:
        choose(page, item.text, answer)


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_patient_journey_on_a_phone_then_dual_clearance(
    phone: Callable[[], BrowserContext], live_server: LiveServer, prescriber: User, therapist: User
) -> None:
    patient: Patient = PatientFactory(
        legal_first_name="Morgan",
        legal_last_name="Lakewood",
        prescriber=prescriber,
        therapist=therapist,
    )
    token = services.invitation_token(services.invitation_send(patient=patient, by=None))

    # The patient opens the emailed link on their phone and sets a password.
    page = phone().new_page()
    page.goto(f"{live_server.url}/patients/invitation/{token}/")
    expect(page.get_by_role("heading", name="Welcome, Morgan Lakewood")).to_be_visible()
    page.get_by_label("Choose a password").fill(PATIENT_PASSWORD)
    page.get_by_label("Repeat the password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Set password and start").click()

    expect(page.get_by_role("heading", name="About you and your contacts")).to_be_visible()
    expect(page.get_by_text("Step 1 of 11")).to_be_visible()
    page.get_by_label("Sex assigned at birth").select_option("female")
    page.get_by_label("Mobile phone").fill("555-0142")
    page.get_by_label("Home address").fill("9 Synthetic Row, Springfield")
    page.get_by_label("Emergency contact name").fill("Robin Lakewood")
    page.get_by_label("Emergency contact relationship").fill("Partner")
    page.get_by_label("Emergency contact phone").fill("555-0143")
    page.get_by_label("How should we send you reminders?").select_option("sms")
    next_step(page, "Your other providers")

    therapist_name = page.get_by_label("Name of your therapist")
    expect(therapist_name).to_be_hidden()  # asked only after a "yes"
    choose(page, "Do you currently see a therapist?", "Yes")
    expect(therapist_name).to_be_visible()
    page.get_by_label("Name of your therapist").fill("Jamie Counsel")
    choose(page, "Do you currently see a psychiatrist?", "No")
    choose(page, "Do you currently see a primary care provider?", "No")
    choose(page, "May we coordinate your care", "Yes")
    next_step(page, "Medical history")

    for _name, question in MEDICAL_CONDITIONS:
        choose(page, question, "No")
    page.get_by_label("Height (cm)").fill("168")
    page.get_by_label("Weight (kg)").fill("64.5")
    next_step(page, "Current medications")

    page.get_by_label("Medication name").first.fill("Lorazepam")
    page.get_by_label("Dose").first.fill("0.5 mg")
    page.get_by_label("How often").first.fill("as needed")
    next_step(page, "Substance use")

    # She leaves halfway: a new session on the phone, later.
    page.context.close()
    page = phone().new_page()
    sign_in(page, f"{live_server.url}/", patient.email, PATIENT_PASSWORD)
    page.get_by_role("link", name="Continue your intake").click()
    expect(page.get_by_role("heading", name="Substance use")).to_be_visible()

    # Back shows the answers kept from before.
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Medication name").first).to_have_value("Lorazepam")
    page.get_by_role("button", name="Save and continue").click()

    for _key, label in SUBSTANCES:
        choose(page, f"{label}: have you used it?", "Never")
    next_step(page, "Mental health history")

    for question in [
        "diagnosed with schizophrenia",
        "(psychosis)",
        "episode of mania or hypomania",
        "hospitalised for your mental health",
        "attempted suicide",
        "harmed yourself on purpose",
        "ECT or TMS",
        "ketamine treatment before",
    ]:
        choose(page, question, "No")
    next_step(page, "Intentions and goals")

    page.get_by_label("What are your intentions and goals").fill("Lift a long depression.")
    next_step(page, "Mood (PHQ-9)")
    answer_instrument(page, PHQ9, "Several days")
    next_step(page, "Anxiety (GAD-7)")
    answer_instrument(page, GAD7, "Not at all")
    next_step(page, "Stress (PCL-5)")
    answer_instrument(page, PCL5, "A little bit")
    # "Several days" on PHQ-9 item 9 brings the C-SSRS screener.
    next_step(page, "Safety questions (C-SSRS)")
    choose(page, "Have you wished you were dead", "Yes")
    choose(page, "Have you actually had any thoughts of killing yourself?", "No")
    expect(page.get_by_role("group", name="thinking about how you might do this")).to_be_hidden()
    choose(page, "Have you ever done anything, started to do anything", "No")
    next_step(page, "Consents")

    page.get_by_label("Type your full legal name to sign").fill("Morgan Lakewood")
    for checkbox in page.get_by_label("I have read and agree to").all():
        checkbox.check()
    next_step(page, "Review your intake")

    expect(page.get_by_text("Lift a long depression.")).to_be_visible()
    assert not overflows_horizontally(page)
    page.get_by_role("button", name="Submit intake").click()
    expect(page.get_by_text("your intake is submitted")).to_be_visible()
    patient.refresh_from_db()
    assert patient.status == PatientStatus.SCREENED
    page.context.close()

    # The prescriber, on a phone too, records the medical assessment.
    page = phone().new_page()
    sign_in(page, f"{live_server.url}/", prescriber.email, TEST_PASSWORD)
    expect(page.get_by_text("PHQ-9 item 9 above 0")).to_be_visible()  # the safety alert
    page.goto(f"{live_server.url}/patients/review/")
    page.get_by_role("link", name="Lakewood, Morgan").click()
    expect(page.get_by_text("Benzodiazepine in current medications.", exact=True)).to_be_visible()
    assert not overflows_horizontally(page)
    page.get_by_role("link", name="Record medical assessment").click()
    page.get_by_label("Blood pressure, systolic (mmHg)").fill("124")
    page.get_by_label("Blood pressure, diastolic (mmHg)").fill("79")
    page.get_by_label("Heart rate (beats per minute)").fill("71")
    page.get_by_label("Oxygen saturation, SpO2 (%)").fill("98")
    page.get_by_label("Weight (kg)").fill("64.5")
    page.get_by_label("History review").fill("Reviewed history and lorazepam use.")
    page.get_by_label("Decision").select_option("cleared")
    assert unlabelled_controls(page) == []
    page.get_by_role("button", name="Record medical assessment").click()
    expect(page.get_by_text("Medical assessment recorded.")).to_be_visible()
    patient.refresh_from_db()
    assert patient.status == PatientStatus.SCREENED  # one of two
    page.context.close()

    # The therapist records the clinical assessment: the patient is cleared.
    page = phone().new_page()
    sign_in(page, f"{live_server.url}/", therapist.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.uuid}/intake/")
    page.get_by_role("link", name="Record clinical assessment").click()
    page.get_by_label("Working diagnoses").fill("Major depressive disorder, recurrent")
    page.get_by_label("Decision").select_option("cleared")
    page.get_by_role("button", name="Record clinical assessment").click()
    expect(page.get_by_text("Clinical assessment recorded.")).to_be_visible()
    expect(page.get_by_text("Cleared ·")).to_be_visible()
    patient.refresh_from_db()
    assert patient.status == PatientStatus.CLEARED
