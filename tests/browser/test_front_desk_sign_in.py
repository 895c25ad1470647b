import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kap_clinic.accounts.models import User
from tests.browser.conftest import overflows_horizontally, unlabelled_controls
from tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_signs_in_sees_the_landing_page_and_signs_out(
    page: Page, live_server: LiveServer, front_desk: User
) -> None:
    PatientFactory(legal_first_name="Robin", legal_last_name="Quill")
    console_errors: list[str] = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert unlabelled_controls(page) == []
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/desk/")
    expect(page.get_by_role("heading", name="Front desk", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Robin Quill")).to_be_visible()
    assert not overflows_horizontally(page)

    toggler = page.get_by_role("button", name="Show navigation")
    if toggler.is_visible():  # the phone layout folds the navigation away
        toggler.click()
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/desk/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert console_errors == [], "the page logged errors (a CSP violation shows here)"
