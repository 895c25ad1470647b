"""In Chromium at 1280 px: on an empty database the first superuser is led through the first-run
wizard (organisation, first location and rooms, inviting staff), and the invited therapist signs in
from the emailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.models import Organisation
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.tasks import message_send
from sessions.models import Location
from tests.browser.conftest import DESKTOP, overflows_horizontally, unlabelled_controls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT_PASSWORD = "synthetic-root-pass-2026"
THERAPIST_PASSWORD = "synthetic-therapist-pass-2026"


def test_first_run_wizard_ends_with_an_invited_therapist_signed_in(
    browser: Browser, live_server: LiveServer
) -> None:
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    User.objects.create_superuser("root@example.org", ROOT_PASSWORD, full_name="Rowan Root")
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))

    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill("root@example.org")
    page.get_by_label("Password").fill(ROOT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Signed in with no organisation yet: the wizard's checklist.
    expect(page.get_by_role("heading", name="Set up your clinic")).to_be_visible()
    page.get_by_role("link", name="Continue").click()

    # 1. Organisation; a wrong NPI check digit is refused on its field first.
    expect(page.get_by_role("heading", name="Organisation")).to_be_visible()
    assert unlabelled_controls(page) == []
    page.get_by_label("Legal name").fill("Lakeside Therapy PLLC")
    page.get_by_label("Address").fill("9 Lake Road, Springfield")
    page.locator("main").get_by_label(re.compile(r"^\s*Phone\W*$")).fill("555-0123")
    page.get_by_label("Tax id (EIN)").fill("12-3456789")
    page.get_by_label("Group NPI").fill("1234567890")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("check digit is wrong")).to_be_visible()
    assert not Organisation.objects.exists()
    page.get_by_label("Group NPI").fill("1234567893")
    page.get_by_role("button", name="Save and continue").click()

    # 2. The first location and its rooms.
    expect(page.get_by_role("heading", name="Set up your clinic")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="New location")).to_be_visible()
    assert unlabelled_controls(page) == []
    page.get_by_label("Location name").fill("Lakeside Clinic")
    page.get_by_label("Address").fill("9 Lake Road, Springfield")
    page.get_by_label("Rooms").fill("Room 1\nRoom 2")
    page.get_by_role("button", name="Save and continue").click()

    # 3. Invite staff with their roles.
    expect(page.get_by_role("heading", name="Set up your clinic")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Invite staff")).to_be_visible()
    assert unlabelled_controls(page) == []
    page.get_by_label("Full name").fill("Theo Therapist")
    # Inside the page's own form: the header's patient search also mentions email and phone.
    page.locator("main").get_by_label("Email").fill("theo@example.org")
    page.get_by_label("Role").select_option(label="Therapist")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to theo@example.org")).to_be_visible()
    expect(page.get_by_text("Theo Therapist · Therapist")).to_be_visible()
    assert not overflows_horizontally(page)
    page.get_by_role("link", name="Finish set-up").click()
    expect(page.get_by_text("Your clinic is set up.")).to_be_visible()

    location = Location.objects.get(name="Lakeside Clinic")
    assert sorted(location.rooms.values_list("name", flat=True)) == ["Room 1", "Room 2"]
    assert Organisation.objects.get().group_npi == "1234567893"
    assert console_errors == []

    # The therapist's invitation goes out through the outbox; they open the emailed link.
    message = Message.objects.get(template_key="clinic.staff_invitation")
    message_send.apply(args=(message.id,)).get()
    email = mail.outbox[-1]
    assert email.to == ["theo@example.org"]
    link = re.search(r"http://\S+/setup/invitation/\S+/", email.body)
    assert link
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    therapist_context = browser.new_context(viewport=DESKTOP)
    therapist_page = therapist_context.new_page()
    therapist_page.set_default_timeout(15_000)
    therapist_page.goto(f"{live_server.url}{path}")
    expect(therapist_page.get_by_role("heading", name="Welcome, Theo")).to_be_visible()
    therapist_page.get_by_label("Choose a password").fill(THERAPIST_PASSWORD)
    therapist_page.get_by_label("Repeat the password").fill(THERAPIST_PASSWORD)
    therapist_page.get_by_role("button", name="Set password").click()
    expect(therapist_page.get_by_text("Your password is set. Please sign in.")).to_be_visible()
    therapist_page.get_by_label("Email").fill("theo@example.org")
    therapist_page.get_by_label("Password").fill(THERAPIST_PASSWORD)
    therapist_page.get_by_role("button", name="Sign in").click()
    expect(therapist_page.get_by_role("heading", name="Your day")).to_be_visible()
    expect(therapist_page.get_by_test_id("signed-in-as")).to_contain_text(
        "Theo Therapist · Therapist"
    )
    assert User.objects.get(email="theo@example.org").role == Role.THERAPIST
    therapist_context.close()
    context.close()
