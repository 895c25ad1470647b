"""In Chromium: sign-in locks after too many wrong passwords; a staff member cannot reach a patient
page without the second factor, then enrols, verifies and can (issue 17)."""

import base64

import pytest
from django.conf import settings
from django_otp.oath import totp
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.browser.conftest import sign_in, totp_code, unlabelled_controls
from tests.factories import TEST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_second_factor,
]


def _try_password(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_sign_in_locks_after_too_many_wrong_passwords(
    page: Page, live_server: LiveServer, front_desk: User
) -> None:
    sign_in_url = f"{live_server.url}/accounts/sign-in/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try_password(page, sign_in_url, front_desk.email, "not-the-password")
        expect(page.get_by_text("Please enter a correct email")).to_be_visible()
    _try_password(page, sign_in_url, front_desk.email, "not-the-password")
    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    _try_password(page, sign_in_url, front_desk.email, TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    page.goto(f"{live_server.url}/desk/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()
    assert (
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).count()
        >= settings.AXES_FAILURE_LIMIT
    )


def test_staff_reach_a_patient_only_after_enrolling_and_verifying_a_second_factor(
    page: Page, live_server: LiveServer, therapist: User, patient: Patient
) -> None:
    patient_url = f"{live_server.url}/patients/{patient.uuid}/"
    sign_in(page, f"{live_server.url}/accounts/sign-in/", therapist.email, TEST_PASSWORD)
    page.goto(patient_url)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_text(patient.legal_last_name)).to_have_count(0)
    assert unlabelled_controls(page) == []

    # Enrol: the QR code is an inline image made on the server; the secret is shown as text.
    qr = page.get_by_test_id("totp-qr-code")
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    key = base64.b32decode(secret)
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(patient_url)
    expect(page.get_by_text(patient.legal_last_name).first).to_be_visible()

    # Sign out and in again: the code page comes before any patient page.
    toggler = page.get_by_role("button", name="Show navigation")
    if toggler.is_visible():
        toggler.click()
    page.get_by_role("button", name="Sign out").click()
    _try_password(page, f"{live_server.url}/accounts/sign-in/", therapist.email, TEST_PASSWORD)
    page.goto(patient_url)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(therapist.email, drift=1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(patient_url)
    expect(page.get_by_text(patient.legal_last_name).first).to_be_visible()
