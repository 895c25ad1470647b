"""Secure messages between a patient and their care team."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from intake.conversations import services
from intake.conversations.models import Thread, ThreadMessage
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message

pytestmark = pytest.mark.django_db

SECRET = "I have been sleeping badly since the last session"


def test_a_patient_writes_and_the_care_team_gets_a_notice_without_content(
    client: Client, patient: Patient, therapist: User, prescriber: User
) -> None:
    client.force_login(patient.user)
    response = client.post(reverse("intake:my_threads"), {"subject": "Sleep", "body": SECRET})
    thread = Thread.objects.get()
    assert response.url == reverse("intake:my_thread", args=[thread.uuid])
    notices = Message.objects.filter(template_key="intake.secure_message")
    assert {notice.recipient_user for notice in notices} == {therapist, prescriber}
    for notice in notices:
        rendered = message_render(notice)
        assert rendered is not None
        assert SECRET not in rendered.text
        assert "Sleep" not in rendered.text
        assert reverse("intake:thread_detail", args=[patient.uuid, thread.uuid]) in rendered.text


def test_the_therapist_answers_from_the_chart_and_the_patient_is_told(
    client: Client, patient: Patient, therapist: User
) -> None:
    thread = services.thread_start(patient=patient, subject="Sleep", body=SECRET, by=patient.user)
    client.force_login(therapist)
    section = client.get(reverse("intake:chart_section", args=[patient.uuid, "messages"]))
    url = reverse("intake:thread_detail", args=[patient.uuid, thread.uuid])
    assert url in section.content.decode()
    page = client.get(url).content.decode()
    assert SECRET in page
    client.post(url, {"body": "Thank you for telling us; let's talk on Thursday."})
    assert ThreadMessage.objects.filter(thread=thread, author=therapist).exists()
    notice = Message.objects.get(template_key="intake.secure_message", recipient_kind="patient")
    rendered = message_render(notice)
    assert rendered is not None
    assert "Thursday" not in rendered.text
    assert reverse("intake:my_thread", args=[thread.uuid]) in rendered.text


def test_every_read_is_audited(client: Client, patient: Patient, therapist: User) -> None:
    thread = services.thread_start(patient=patient, subject="Sleep", body=SECRET, by=patient.user)
    client.force_login(therapist)
    client.get(reverse("intake:thread_detail", args=[patient.uuid, thread.uuid]))
    client.force_login(patient.user)
    client.get(reverse("intake:my_thread", args=[thread.uuid]))
    readers = set(
        AuditEvent.objects.filter(object_id=str(thread.uuid), detail="messages read").values_list(
            "actor", flat=True
        )
    )
    assert readers == {therapist.pk, patient.user.pk}


@pytest.mark.parametrize("who", ["outsider", "other_patient"])
def test_others_get_404(
    request: pytest.FixtureRequest, client: Client, patient: Patient, who: str
) -> None:
    thread = services.thread_start(patient=patient, subject="Sleep", body=SECRET, by=patient.user)
    if who == "outsider":
        client.force_login(request.getfixturevalue("outsider"))
        url = reverse("intake:thread_detail", args=[patient.uuid, thread.uuid])
    else:
        client.force_login(request.getfixturevalue("other_patient").user)
        url = reverse("intake:my_thread", args=[thread.uuid])
    assert client.get(url).status_code == 404


@override_settings(CRISIS_LINE="116 123", EMERGENCY_NUMBER="112")
def test_where_a_patient_writes_the_crisis_line_shows_and_attachments_are_ruled_out(
    client: Client, patient: Patient
) -> None:
    client.force_login(patient.user)
    page = client.get(reverse("intake:my_threads")).content.decode()
    assert "not monitored in real time" in page
    assert "116 123" in page
    assert "112" in page
    assert "attachments cannot be sent" in page


def test_an_empty_message_is_refused_and_nothing_saved(client: Client, patient: Patient) -> None:
    client.force_login(patient.user)
    response = client.post(reverse("intake:my_threads"), {"subject": "Sleep", "body": "  "})
    assert response.status_code == 400
    assert not Thread.objects.exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_a_thread_keeps_its_query_count(
    client: Client,
    patient: Patient,
    therapist: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    thread = services.thread_start(patient=patient, subject="Sleep", body=SECRET, by=patient.user)
    for n in range(rows):
        services.thread_reply(thread=thread, body=f"Reply {n}", by=therapist)
    client.force_login(therapist)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        page = client.get(reverse("intake:thread_detail", args=[patient.uuid, thread.uuid]))
    assert page.content.decode().count('data-testid="thread-message"') == rows + 1


def test_the_portal_leads_to_messages_and_my_progress(client: Client, patient: Patient) -> None:
    client.force_login(patient.user)
    page = client.get(reverse("accounts:portal")).content.decode()
    assert reverse("intake:my_threads") in page
    assert reverse("integration:patient_trends", args=[patient.uuid]) in page
