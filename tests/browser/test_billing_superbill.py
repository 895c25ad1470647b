"""Front desk (with the billing permission) posts a completed session's proposed charges and takes
a payment; the patient downloads the superbill on a 375 px phone and it says what was billed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from intake.models import Patient
from kap_clinic.accounts.models import User
from sessions.billing import services
from sessions.billing.models import BillingCode, ChargeStatus, Payment
from tests.browser.conftest import DESKTOP, PHONE, overflows_horizontally, unlabelled_controls
from tests.factories import TEST_PASSWORD, CourseFactory, IntegrationAppointmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(browser: Browser, live_server: LiveServer, user: User, viewport: dict) -> Page:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.full_name)
    return page


def test_front_desk_posts_charges_takes_a_payment_and_the_patient_downloads_the_superbill(
    browser: Browser,
    live_server: LiveServer,
    front_desk: User,
    patient: Patient,
    patient_user: User,
    tmp_path: Path,
) -> None:
    assert front_desk.has_perm("kap_sessions.manage_billing")
    # The catalogue as the seed migration leaves it (a transactional test may have flushed it).
    code, _ = BillingCode.objects.update_or_create(
        system="cpt",
        code="90837",
        defaults={
            "description": "Psychotherapy, 60 minutes",
            "fee": Decimal("180.00"),
            "min_minutes": 53,
            "source": "synthetic",
        },
    )
    diagnosis, _ = BillingCode.objects.update_or_create(
        system="icd10",
        code="F33.1",
        defaults={"description": "Major depressive disorder, recurrent, moderate", "source": "x"},
    )
    course = CourseFactory(patient=patient)
    services.course_diagnosis_add(by=course.therapist, course=course, code=diagnosis)
    appointment = IntegrationAppointmentFactory(course=course)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    (proposed,) = services.charges_propose(appointment=appointment, by=None)
    assert proposed.code == code

    desk = _signed_in(browser, live_server, front_desk, DESKTOP)
    desk.goto(f"{live_server.url}/patients/{patient.uuid}/chart/billing/")
    expect(desk.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    desk.get_by_role("link", name=proposed.date_of_service.strftime("%-d %b %Y")).click()
    expect(desk.get_by_role("cell", name="Proposed", exact=True)).to_be_visible()
    desk.get_by_role("button", name="Post").click()
    expect(desk.get_by_text("90837 posted.")).to_be_visible()
    proposed.refresh_from_db()
    assert proposed.status == ChargeStatus.POSTED

    desk.goto(f"{live_server.url}/patients/{patient.uuid}/chart/billing/")
    desk.get_by_role("link", name="Statement and payments").click()
    expect(desk.get_by_text("Balance due: $180.00")).to_be_visible()
    desk.get_by_label("Amount (USD)").fill("100.00")
    desk.get_by_label("Paid by").select_option(label="Cash")
    desk.get_by_role("button", name="Record payment").click()
    expect(desk.get_by_text("Payment of $100.00 recorded.")).to_be_visible()
    expect(desk.get_by_text("Balance due: $80.00")).to_be_visible()
    assert Payment.objects.get().amount == Decimal("100.00")

    phone = _signed_in(browser, live_server, patient_user, PHONE)
    phone.get_by_role("link", name="Billing", exact=True).first.click()
    expect(phone.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    expect(phone.get_by_text("Balance due: $80.00")).to_be_visible()
    assert unlabelled_controls(phone) == []
    assert not overflows_horizontally(phone)
    with phone.expect_download() as download_info:
        phone.get_by_role("button", name="Download the superbill (PDF)").click()
    target = tmp_path / "superbill.pdf"
    download_info.value.save_as(target)
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(target.read_bytes())).pages)
    assert "Superbill" in text
    assert "90837" in text
    assert "F33.1" in text
    assert "180.00" in text  # the fee
    assert "100.00" in text  # what was paid
    assert patient.legal_last_name in text
