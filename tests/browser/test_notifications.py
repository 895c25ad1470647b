"""The portal inbox, the message log with resend and the preparation library in a real browser,
on a desktop and a 375 px wide phone."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.services import message_request
from tests.browser.conftest import overflows_horizontally, unlabelled_controls
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _open_navigation(page: Page) -> None:
    toggler = page.get_by_role("button", name="Show navigation")
    if toggler.is_visible():  # the phone layout folds the navigation away
        toggler.click()


def _message(patient: Patient, key: str, *, channel: str, **fields: object) -> Message:
    message = message_request(
        recipient=patient_recipient(patient),
        template_key="example.appointment_reminder",
        idempotency_key=key,
        channel=channel,
        urgent=True,
    )
    assert message is not None
    Message.objects.filter(id=message.id).update(**fields)
    return message


def test_a_patient_reads_a_message_in_the_portal_inbox(
    page: Page, live_server: LiveServer, patient: Patient
) -> None:
    _message(
        patient,
        "welcome",
        channel=Channel.PORTAL,
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        rendered_subject="Your preparation session",
        rendered_body="Please arrive ten minutes early.",
    )
    _sign_in(page, live_server, patient.user)
    expect(page.get_by_text("1 unread")).to_be_visible()
    _open_navigation(page)
    page.get_by_role("link", name="Inbox", exact=True).click()
    page.get_by_role("link", name="Your preparation session").click()
    expect(page.get_by_text("Please arrive ten minutes early.")).to_be_visible()
    assert not overflows_horizontally(page)


def test_the_front_desk_resends_a_failed_message_from_the_log(
    page: Page, live_server: LiveServer, front_desk: User, patient: Patient
) -> None:
    _message(
        patient,
        "broken",
        channel=Channel.EMAIL,
        status=MessageStatus.FAILED,
        attempts=1,
        last_error="the recipient has no valid email address",
    )
    _sign_in(page, live_server, front_desk)
    _open_navigation(page)
    page.get_by_role("link", name="Messages").click()
    assert unlabelled_controls(page) == []
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("the recipient has no valid email address")).to_be_visible()
    assert not overflows_horizontally(page)
    page.get_by_role("button", name="Resend", exact=True).click()
    expect(page.get_by_text("The message is queued again.")).to_be_visible()
    assert Message.objects.filter(status=MessageStatus.QUEUED, resent_from__isnull=False).exists()


def test_the_front_desk_resends_every_failed_message_of_one_type_after_an_outage(
    page: Page, live_server: LiveServer, front_desk: User, patient: Patient
) -> None:
    for key in ("outage-1", "outage-2"):
        _message(
            patient,
            key,
            channel=Channel.EMAIL,
            status=MessageStatus.FAILED,
            attempts=9,
            last_error="the mail server could not be reached (ConnectionRefusedError)",
        )
    _sign_in(page, live_server, front_desk)
    _open_navigation(page)
    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Status").select_option("failed")
    page.get_by_label("Message type").fill("example.appointment_reminder")
    page.get_by_role("button", name="Filter").click()
    assert unlabelled_controls(page) == []
    assert not overflows_horizontally(page)
    page.get_by_role("button", name="Resend all failed messages matching this filter").click()
    expect(page.get_by_text("2 failed messages queued again.")).to_be_visible()
    assert Message.objects.filter(resent_from__isnull=False).count() == 2


def test_a_clinic_admin_writes_an_article_that_a_patient_reads(
    page: Page, live_server: LiveServer, clinic_admin: User, patient: Patient
) -> None:
    _sign_in(page, live_server, clinic_admin)
    _open_navigation(page)
    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name="New article").click()
    assert unlabelled_controls(page) == []
    page.get_by_label("Title").fill("What to expect on the day")
    page.get_by_label("Slug").fill("what-to-expect")
    page.get_by_label("Body (Markdown)").fill("## Arriving\n\nCome with your **escort**.")
    page.get_by_label("Timeline steps").fill("appointment.reminder_72h")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save article").click()
    expect(page.get_by_role("heading", name="Arriving")).to_be_visible()
    assert not overflows_horizontally(page)

    page.context.clear_cookies()
    _sign_in(page, live_server, patient.user)
    _open_navigation(page)
    page.get_by_role("link", name="Reading", exact=True).click()
    page.get_by_role("link", name="What to expect on the day").click()
    expect(page.locator("strong", has_text="escort")).to_be_visible()
    assert not overflows_horizontally(page)
