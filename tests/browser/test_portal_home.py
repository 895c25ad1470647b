"""In Chromium on a 375 px screen: a patient sees My progress on their portal home and updates
their details; the therapist sees the change on the chart (issue 10, item 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import InstrumentResponse, PatientDetailsChange
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.browser.conftest import DESKTOP, PHONE, overflows_horizontally, sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_on_a_phone_sees_my_progress_and_updates_their_details(
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
        mobile="555-0100",
    )
    now = timezone.now()
    for days, total in ((21, 16), (2, 6)):
        InstrumentResponse.objects.create(
            patient=patient,
            instrument_key="phq9",
            instrument_version="test",
            answers={},
            total=total,
            band="x",
            band_label="x",
            recorded_at=now - timedelta(days=days),
        )

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.set_default_timeout(15_000)
    sign_in(phone, f"{live_server.url}/", patient_user.email, TEST_PASSWORD)
    progress = phone.get_by_role("region", name="My progress")
    expect(progress).to_contain_text("Latest: 6 of 27, mild symptoms")
    expect(progress).to_contain_text("Down 10 since your first.")
    expect(progress.get_by_role("img")).to_be_visible()
    phone.get_by_text("Your scores and what they mean").click()
    expect(progress.get_by_text("0–4: few or no symptoms")).to_be_visible()
    assert not overflows_horizontally(phone)

    phone.get_by_role("link", name="Change my details").click()
    phone.get_by_label("Mobile phone").fill("555-0177")
    phone.get_by_label("Emergency contact name").fill("Sam Example")
    phone.get_by_label("Emergency contact relationship").fill("Sibling")
    phone.get_by_label("Emergency contact phone").fill("555-0199")
    phone.get_by_label("Home address").fill("1 Synthetic Way")
    phone.get_by_label("How should we send you reminders?").select_option("sms")
    phone.get_by_role("button", name="Save my details").click()
    expect(phone.get_by_text("your care team can see the change")).to_be_visible()
    assert not overflows_horizontally(phone)
    phone.get_by_role("link", name="My portal").click()
    details = phone.get_by_role("region", name="My details")
    expect(details).to_contain_text("555-0177")
    expect(details).to_contain_text("Text message")

    change = PatientDetailsChange.objects.get(patient=patient)
    assert change.changes["mobile"] == ["555-0100", "555-0177"]
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(patient.uuid), actor=patient_user
    ).exists()

    desk = browser.new_context(viewport=DESKTOP).new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, f"{live_server.url}/", therapist.email, TEST_PASSWORD)
    desk.goto(f"{live_server.url}/patients/{patient.uuid}/")
    expect(desk.get_by_text("Details changed by the patient")).to_be_visible()
    desk.get_by_role("link", name="Details changed by the patient").click()
    expect(desk.get_by_text("was 555-0100")).to_be_visible()
