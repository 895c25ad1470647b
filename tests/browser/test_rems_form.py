"""Issue 16: a prescriber completes the esketamine REMS monitoring form of a finished session
(signature, confirmation step) and records it as submitted. Real Chromium at desktop width; the
session up to discharge is set up through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from kap_clinic.accounts.roles import Role
from sessions import dosing
from sessions.rems.models import RemsForm
from tests.browser.conftest import unlabelled_controls
from tests.browser.test_dosing_discharge import (
    _esketamine_session_dosed_130_minutes_ago,
    _signed_in,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_prescriber_completes_the_rems_form_and_records_it_as_submitted(
    browser: Browser, live_server: LiveServer
) -> None:
    prescriber = UserFactory(role=Role.PRESCRIBER, full_name="Dr. Rema Prescriber")
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    record = _esketamine_session_dosed_130_minutes_ago(prescriber, therapist)
    now = timezone.now()
    dosing.scores_record(
        record=record,
        taken_at=now,
        moaas=5,
        cadss={1: 0, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
        by=therapist,
    )
    dosing.dosing_discharge(
        record=record,
        vitals_near_baseline=True,
        alert_and_oriented=True,
        walking_unaided=True,
        escort_present=True,
        ready_to_leave_at=now - timedelta(minutes=3),
        summary="Calm emergence.",
        by=prescriber,
        concomitant_confirmed=True,
        missed_vitals_acknowledged=True,
    )
    errors: list[str] = []
    doctor = _signed_in(browser, live_server, prescriber)
    doctor.on("console", lambda m: m.type == "error" and errors.append(m.text))

    # The REMS page, from the navigation: the form is pending, with its count.
    doctor.get_by_role("link", name="REMS", exact=True).click()
    expect(doctor.get_by_test_id("rems-count-pending")).to_have_text("1")
    doctor.get_by_role("link", name="Robin Testdischarge").click()
    expect(doctor.get_by_text("56.00 mg (2 devices)")).to_be_visible()
    expect(doctor.get_by_text("ESK-T1")).to_be_visible()
    assert unlabelled_controls(doctor) == []

    doctor.get_by_label("Signature (type your full name)").fill("Dr. Rema Prescriber")
    doctor.get_by_role("button", name="Sign the form").click()
    # The confirmation step names the consequence before anything is signed.
    expect(doctor.get_by_text("can no longer change")).to_be_visible()
    doctor.get_by_role("button", name="Sign the form").click()
    expect(doctor.get_by_test_id("rems-complete")).to_contain_text("Dr. Rema Prescriber")

    doctor.get_by_role("button", name="Send the form to the REMS").click()
    expect(doctor.get_by_test_id("rems-submitted")).to_contain_text("CONSOLE-")
    form = RemsForm.objects.get(dosing_record=record)
    assert form.submitted_by == prescriber
    expect(doctor.get_by_test_id("rems-submitted")).to_contain_text(form.confirmation_number)
    doctor.get_by_role("link", name="REMS", exact=True).click()
    expect(doctor.get_by_test_id("rems-count-pending")).to_have_text("0")
    expect(doctor.get_by_test_id("rems-count-submitted")).to_have_text("1")
    assert errors == []
    doctor.context.close()
