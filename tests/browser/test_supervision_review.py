"""Issue #19 in Chromium: a supervisor returns a trainee's integration note with a comment, the
trainee revises and resubmits it, and the supervisor approves it, all by following links from
their landing pages (the only address typed is the sign-in page)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from integration import services
from integration.models import Note, NoteTemplate
from integration.supervision import services as supervision
from integration.supervision.models import NoteVersion, ReviewComment, ReviewState
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

FIRST = "Themes and images:\nthe sea.\n\nPlan:\nsee you."
REVISED = "Themes and images:\nthe sea.\n\nPlan:\nwalk daily; PHQ-9 in two weeks."


def _signed_in(browser: Browser, live_server: LiveServer, user: User, viewport: dict) -> Page:  # type: ignore[type-arg]
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user.full_name)
    return page


def _landing(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Supervision queue")).to_be_visible()


def test_a_supervisor_returns_a_trainees_note_the_trainee_revises_and_the_supervisor_approves(
    browser: Browser, live_server: LiveServer
) -> None:
    NoteTemplate.objects.filter(kind="integration").delete()
    NoteTemplate.objects.create(
        kind="integration", name="Integration", sections="Themes and images\nPlan", is_default=True
    )
    admin = UserFactory(role=Role.CLINIC_ADMIN)
    trainee = UserFactory(role=Role.THERAPIST, full_name="Theo Trainee")
    supervisor = UserFactory(role=Role.THERAPIST, full_name="Dr. Sue Supervisor")
    prescriber = UserFactory(role=Role.PRESCRIBER)
    patient = PatientFactory(
        user=UserFactory(role=Role.PATIENT, full_name="Sam Patient"),
        therapist=trainee,
        prescriber=prescriber,
    )
    course = CourseFactory(patient=patient, therapist=trainee, prescriber=prescriber)
    supervision.relationship_create(
        supervisee=trainee,
        supervisor=supervisor,
        kind="practicum",
        mode="review",
        starts_on=date(2020, 1, 1),
        by=admin,
    )
    appointment = IntegrationAppointmentFactory(course=course, kind="integration")
    note = services.note_start(appointment=appointment, by=trainee)
    services.note_draft_save(note=note, body=FIRST, by=trainee)
    services.note_sign(note=note, by=trainee)

    # The supervisor opens the note from their landing page and returns it with a comment.
    boss = _signed_in(browser, live_server, supervisor, DESKTOP)
    _landing(boss, live_server)
    expect(boss.get_by_text("1 note awaiting your review")).to_be_visible()
    boss.get_by_role("link", name=re.compile(r"^Integration note by Theo Trainee")).click()
    expect(boss.get_by_role("heading", name="Supervision")).to_be_visible()
    boss.get_by_label("Section").select_option("Plan")
    boss.get_by_label("Comment for the author").fill("Say what the plan is and when you review.")
    assert unlabelled_controls(boss) == []
    boss.get_by_role("button", name="Return for revision").click()
    expect(boss.get_by_text("Note returned to its author for revision.")).to_be_visible()
    expect(boss.get_by_role("button", name="Approve note")).to_have_count(0)

    # The trainee finds it on their landing page, reads the comment, revises and signs again.
    pupil = _signed_in(browser, live_server, trainee, PHONE)
    _landing(pupil, live_server)
    returned = pupil.get_by_role("heading", name="Returned by your supervisor for revision")
    expect(returned).to_be_visible()
    pupil.get_by_role("link", name=re.compile(r": Integration, \d{4}-\d{2}-\d{2}$")).first.click()
    expect(pupil.locator(".review-comment")).to_contain_text(
        "Say what the plan is and when you review."
    )
    expect(pupil.locator(".review-comment")).to_contain_text("Plan")
    body = pupil.get_by_label(re.compile("^Note text"))
    expect(body).to_have_value(FIRST)
    body.fill(REVISED)
    assert not overflows_horizontally(pupil)
    pupil.get_by_role("button", name="Sign note").click()
    pupil.get_by_role("button", name="Sign the note").click()
    expect(pupil.get_by_text("Awaiting the supervisor's co-signature.")).to_be_visible()

    # The supervisor approves the revised note, again from the landing page.
    _landing(boss, live_server)
    boss.get_by_role("link", name=re.compile(r"^Integration note by Theo Trainee")).click()
    # The note's current text (earlier versions sit folded in the supervision panel).
    expect(boss.locator("pre.note-text.mb-0")).to_contain_text("walk daily; PHQ-9 in two weeks.")
    expect(boss.get_by_text("Earlier versions (2 submitted)")).to_be_visible()
    boss.get_by_role("button", name="Approve note").click()
    expect(boss.get_by_text("Co-signed by Dr. Sue Supervisor")).to_be_visible()

    note = Note.objects.get()
    assert note.body == REVISED
    assert note.cosigned_by == supervisor
    assert note.supervision.state == ReviewState.APPROVED
    assert [v.body for v in NoteVersion.objects.filter(note=note)] == [FIRST, REVISED]
    (comment,) = ReviewComment.objects.filter(note=note)
    assert (comment.section, comment.version.number) == ("Plan", 1)
