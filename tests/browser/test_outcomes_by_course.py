"""The clinic outcomes page and a course's own trend in real Chromium at 1280 px and 375 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from intake.models import InstrumentResponse
from integration.clinic_outcomes import outcomes_refresh
from integration.models import OutcomeDefinition
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import CourseStatus
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
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.full_name)
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "375px"])
def test_outcomes_page_and_course_trend_read_in_clinic_words(
    browser: Browser,
    live_server: LiveServer,
    viewport: dict,  # type: ignore[type-arg]
) -> None:
    # Data migrations are flushed between transactional tests: the definition is made here.
    OutcomeDefinition.objects.get_or_create(
        instrument_key="phq9",
        defaults={"remission_rule": "below", "remission_value": 5, "source": "CLINICAL.md"},
    )
    therapist = UserFactory(role=Role.THERAPIST, full_name="Theo Therapist")
    patient = PatientFactory(therapist=therapist)
    course = CourseFactory(patient=patient, therapist=therapist, status=CourseStatus.COMPLETED)
    first_dose = timezone.now() - timedelta(days=40)
    IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=first_dose, ends_at=first_dose + timedelta(hours=2)
    )
    for days, total in ((-1, 20), (10, 8)):
        InstrumentResponse.objects.create(
            patient=patient,
            instrument_key="phq9",
            instrument_version="1",
            answers={},
            total=total,
            band="x",
            band_label="x",
            recorded_at=first_dose + timedelta(days=days),
        )
    outcomes_refresh()

    page = _signed_in(browser, live_server, therapist, viewport)
    page.goto(f"{live_server.url}/integration/outcomes/")
    table = page.get_by_role("table", name="PHQ-9 outcomes of completed courses")
    overall = table.get_by_role("row").filter(has_text="All completed courses")
    expect(overall).to_contain_text("100% (1 of 1)")
    expect(overall).to_contain_text("95% CI 21–100%")
    expect(page.get_by_text("Not available: diagnoses are recorded as free text")).to_be_visible()
    assert unlabelled_controls(page) == []
    assert "_" not in (table.inner_text() or "")  # no raw field names or keys

    page.goto(f"{live_server.url}/integration/courses/{course.uuid}/trends/")
    chart = page.get_by_role("img", name="PHQ-9 during the course")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("baseline from")
    expect(page.get_by_text("End (last follow-up score)")).to_be_visible()
    expect(page.locator(".badge", has_text="Response")).to_be_visible()
    if viewport == PHONE:
        assert not overflows_horizontally(page)
