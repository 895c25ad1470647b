"""Pages: the portal inbox (own messages only), the staff message log without message text, resend,
the one-click unsubscribe and the preparation library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.delivery import unsubscribe_token
from kap_clinic.notifications.models import Article, Channel, Message, MessageStatus
from kap_clinic.notifications.services import message_request
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

CLINICAL_TEXT = "Fasting from 06:00; your dose is 0.5 mg/kg"
MIDDAY = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


def _signed_in(client: Client, user: User) -> Client:
    assert client.login(email=user.email, password=TEST_PASSWORD)
    return client


def _sent(patient: Patient, key: str, *, channel: str = Channel.PORTAL, **fields: Any) -> Message:
    message = message_request(
        recipient=patient_recipient(patient),
        template_key="example.appointment_reminder",
        idempotency_key=key,
        channel=channel,
        urgent=True,
    )
    assert message is not None
    values: dict[str, Any] = {
        "status": MessageStatus.SENT,
        "sent_at": timezone.now(),
        "rendered_subject": f"About your session {key}",
        "rendered_body": CLINICAL_TEXT,
        "attempts": 1,
    }
    values.update(fields)
    Message.objects.filter(id=message.id).update(**values)
    message.refresh_from_db()
    return message


# --- inbox --------------------------------------------------------------------------------------
def test_a_patient_sees_their_own_portal_messages_and_opening_one_marks_it_read(
    client: Client, patient: Patient, other_patient: Patient
) -> None:
    mine = _sent(patient, "mine")
    _sent(patient, "by-email", channel=Channel.EMAIL)
    _sent(other_patient, "theirs")
    _signed_in(client, patient.user)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "About your session mine" in page
    assert "by-email" not in page
    assert "theirs" not in page
    response = client.get(reverse("notifications:inbox_message", args=[mine.uuid]))
    assert response.status_code == 200
    assert CLINICAL_TEXT in response.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert AuditEvent.objects.filter(object_id=str(mine.uuid), action="read").exists()


def test_a_patient_cannot_open_another_patients_message(
    client: Client, patient: Patient, other_patient: Patient
) -> None:
    theirs = _sent(other_patient, "theirs")
    _signed_in(client, patient.user)
    assert client.get(reverse("notifications:inbox_message", args=[theirs.uuid])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_sign_in(client: Client) -> None:
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert "/accounts/sign-in/" in response["Location"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_inbox_holds_its_query_budget(
    client: Client, patient: Patient, django_assert_max_num_queries: Any, rows: int
) -> None:
    for number in range(rows):
        _sent(patient, f"m{number}")
    _signed_in(client, patient.user)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:inbox")).status_code == 200


# --- message log --------------------------------------------------------------------------------
def test_the_front_desk_sees_the_log_with_status_and_errors_but_no_message_text(
    client: Client, front_desk: User, patient: Patient
) -> None:
    _sent(patient, "fine")
    _sent(
        patient,
        "broken",
        status=MessageStatus.FAILED,
        last_error="missing template variable 'first_name' in notifications/x/body.txt",
    )
    _signed_in(client, front_desk)
    page = client.get(reverse("notifications:message_log")).content.decode()
    assert "Appointment reminder" in page  # clinic words, not the template key
    assert "example.appointment_reminder" not in page
    assert "missing template variable" in page
    assert "Failed" in page
    assert CLINICAL_TEXT not in page
    assert "About your session" not in page


@pytest.mark.parametrize("role_fixture", ["therapist", "prescriber", "patient_user"])
def test_clinicians_and_patients_cannot_open_the_message_log(
    client: Client, request: pytest.FixtureRequest, role_fixture: str
) -> None:
    _signed_in(client, request.getfixturevalue(role_fixture))
    assert client.get(reverse("notifications:message_log")).status_code == 403


def test_the_log_of_one_patient_shows_only_their_messages(
    client: Client, clinic_admin: User, patient: Patient, other_patient: Patient
) -> None:
    _sent(patient, "mine", template_key="x")
    Message.objects.filter(idempotency_key="mine").update(template_key="mine.my_note")
    _sent(other_patient, "theirs")
    Message.objects.filter(idempotency_key="theirs").update(template_key="theirs.their_note")
    _signed_in(client, clinic_admin)
    page = client.get(
        reverse("notifications:message_log_recipient", args=["patient", patient.uuid])
    ).content.decode()
    assert "My note" in page
    assert "Their note" not in page
    failed_only = client.get(reverse("notifications:message_log"), {"status": "failed"})
    assert "My note" not in failed_only.content.decode()


@pytest.mark.parametrize("rows", [1, 50])
def test_the_message_log_holds_its_query_budget(
    client: Client,
    front_desk: User,
    patient: Patient,
    django_assert_max_num_queries: Any,
    rows: int,
) -> None:
    for number in range(rows):
        _sent(patient, f"m{number}", status=MessageStatus.FAILED, last_error="x")
    _signed_in(client, front_desk)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notifications:message_log"))
    assert response.status_code == 200
    assert response.content.decode().count(">Resend</button>") == min(rows, 50)


def test_the_front_desk_resends_a_failed_message_once(
    client: Client, front_desk: User, patient: Patient
) -> None:
    failed = _sent(patient, "failed", status=MessageStatus.FAILED, last_error="x")
    _signed_in(client, front_desk)
    url = reverse("notifications:resend", args=[failed.uuid])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    resend = Message.objects.get(resent_from=failed)
    assert (resend.status, resend.template_key, resend.channel) == (
        MessageStatus.QUEUED,
        failed.template_key,
        failed.channel,
    )
    # Urgent in this test, so not held by quiet hours.
    assert resend.send_at <= timezone.now()
    assert AuditEvent.objects.filter(object_id=str(resend.uuid), action="create").exists()


def test_a_message_that_did_not_fail_cannot_be_resent(
    client: Client, clinic_admin: User, patient: Patient
) -> None:
    sent = _sent(patient, "sent")
    _signed_in(client, clinic_admin)
    response = client.post(reverse("notifications:resend", args=[sent.uuid]), follow=True)
    assert "Only a failed message can be resent." in response.content.decode()
    assert not Message.objects.filter(resent_from=sent).exists()


def test_a_therapist_cannot_resend(client: Client, therapist: User, patient: Patient) -> None:
    failed = _sent(patient, "failed", status=MessageStatus.FAILED)
    _signed_in(client, therapist)
    assert client.post(reverse("notifications:resend", args=[failed.uuid])).status_code == 403


# --- unsubscribe --------------------------------------------------------------------------------
def _queued(patient: Patient, key: str, **fields: Any) -> Message | None:
    return message_request(
        recipient=patient_recipient(patient),
        template_key="example.appointment_reminder",
        idempotency_key=key,
        send_at=MIDDAY,
        **fields,
    )


def test_one_click_on_the_unsubscribe_link_opts_out_of_non_essential_messages_only(
    client: Client, patient: Patient
) -> None:
    pending_optional = _queued(patient, "optional")
    pending_essential = _queued(patient, "essential", essential=True)
    token = unsubscribe_token(recipient_kind="patient", recipient_id=str(patient.uuid))
    response = client.get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 200
    assert "You will no longer get non-essential messages" in response.content.decode()
    assert pending_optional is not None
    assert pending_essential is not None
    pending_optional.refresh_from_db()
    pending_essential.refresh_from_db()
    assert pending_optional.status == MessageStatus.CANCELLED
    assert pending_essential.status == MessageStatus.QUEUED
    assert _queued(patient, "later-optional") is None
    assert _queued(patient, "later-essential", essential=True) is not None


def test_the_rfc_8058_one_click_post_opts_out_and_the_page_can_undo_it(
    client: Client, patient: Patient
) -> None:
    token = unsubscribe_token(recipient_kind="patient", recipient_id=str(patient.uuid))
    url = reverse("notifications:unsubscribe", args=[token])
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _queued(patient, "after-opt-out") is None
    response = client.post(url, {"action": "resubscribe"})
    assert "You will keep getting all messages" in response.content.decode()
    assert _queued(patient, "after-undo") is not None


def test_a_forged_unsubscribe_link_answers_404(client: Client, patient: Patient) -> None:
    token = unsubscribe_token(recipient_kind="patient", recipient_id=str(patient.uuid))
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("notifications:unsubscribe", args=[forged])).status_code == 404


# --- preparation library ------------------------------------------------------------------------
ARTICLE_FORM = {
    "title": "Setting intentions",
    "slug": "setting-intentions",
    "summary": "Before your first dosing session",
    "body_markdown": "## Why\n\nWrite **three** intentions.\n\n<script>alert(1)</script>"
    '\n\n[More](javascript:alert(2)) <img src="https://example.com/x.png">',
    "published": "on",
    "template_keys": "example.appointment_reminder\nappointment.reminder_72h",
}


def test_a_clinic_admin_writes_an_article_and_a_patient_reads_it_sanitised(
    client: Client, clinic_admin: User, patient_user: User
) -> None:
    _signed_in(client, clinic_admin)
    response = client.post(reverse("notifications:article_create"), ARTICLE_FORM)
    assert response.status_code == 302
    article = Article.objects.get(slug="setting-intentions")
    assert sorted(article.steps.values_list("template_key", flat=True)) == [
        "appointment.reminder_72h",
        "example.appointment_reminder",
    ]
    client.logout()
    _signed_in(client, patient_user)
    page = client.get(reverse("notifications:article_read", args=[article.slug])).content.decode()
    assert "<h2>Why</h2>" in page
    assert "<strong>three</strong>" in page
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page
    assert "example.com/x.png" not in page


def test_an_invalid_timeline_step_is_shown_on_the_form(client: Client, clinic_admin: User) -> None:
    _signed_in(client, clinic_admin)
    response = client.post(
        reverse("notifications:article_create"),
        {**ARTICLE_FORM, "template_keys": "Not A Key!"},
    )
    assert response.status_code == 200
    assert "Not a template key" in response.content.decode()
    assert not Article.objects.exists()


def test_a_clinic_admin_edits_and_deletes_an_article(client: Client, clinic_admin: User) -> None:
    _signed_in(client, clinic_admin)
    client.post(reverse("notifications:article_create"), ARTICLE_FORM)
    article = Article.objects.get()
    client.post(
        reverse("notifications:article_edit", args=[article.uuid]),
        {**ARTICLE_FORM, "title": "Intentions", "template_keys": "appointment.reminder_72h"},
    )
    article.refresh_from_db()
    assert article.title == "Intentions"
    assert list(article.steps.values_list("template_key", flat=True)) == [
        "appointment.reminder_72h"
    ]
    client.post(reverse("notifications:article_delete", args=[article.uuid]))
    assert not Article.objects.exists()


def test_patients_do_not_see_drafts_and_cannot_write_articles(
    client: Client, patient_user: User
) -> None:
    draft = Article.objects.create(title="Draft", slug="draft", body_markdown="x")
    _signed_in(client, patient_user)
    assert client.get(reverse("notifications:article_read", args=["draft"])).status_code == 404
    assert "Draft" not in client.get(reverse("notifications:library")).content.decode()
    assert client.get(reverse("notifications:article_create")).status_code == 403
    edit = reverse("notifications:article_edit", args=[draft.uuid])
    assert client.post(edit, ARTICLE_FORM).status_code == 403


def test_the_front_desk_cannot_write_articles(client: Client, front_desk: User) -> None:
    _signed_in(client, front_desk)
    assert client.post(reverse("notifications:article_create"), ARTICLE_FORM).status_code == 403


@pytest.mark.parametrize("rows", [1, 50])
def test_the_library_holds_its_query_budget(
    client: Client, clinic_admin: User, django_assert_max_num_queries: Any, rows: int
) -> None:
    for number in range(rows):
        article = Article.objects.create(
            title=f"Article {number}", slug=f"a-{number}", body_markdown="x", published=True
        )
        article.steps.create(template_key="appointment.reminder_72h")
    _signed_in(client, clinic_admin)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("notifications:library")).status_code == 200


def test_the_landing_page_shows_the_unread_inbox_messages(client: Client, patient: Patient) -> None:
    _sent(patient, "new-one")
    _signed_in(client, patient.user)
    page = client.get(reverse("accounts:portal")).content.decode()
    assert "1 unread" in page
    assert "About your session new-one" in page


def test_a_resent_non_urgent_message_waits_for_the_end_of_quiet_hours(
    patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kap_clinic.notifications import services

    night = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # 23:00 in New York
    monkeypatch.setattr(services.timezone, "now", lambda: night)
    failed = _queued(patient, "quiet", essential=True)
    assert failed is not None
    Message.objects.filter(id=failed.id).update(status=MessageStatus.FAILED)
    failed.refresh_from_db()
    resend = services.message_resend(message=failed)
    assert resend.send_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # 08:00 in New York
