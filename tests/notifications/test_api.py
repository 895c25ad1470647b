"""The API: a user's own inbox (another's message answers 404), the log without message text."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.services import message_request

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/inbox/"
LOG = "/api/v1/notifications/messages/"
SECRET = "Your ketamine dose is 0.5 mg/kg"


def _sent(patient: Patient, key: str) -> Message:
    message = message_request(
        recipient=patient_recipient(patient),
        template_key="example.appointment_reminder",
        idempotency_key=key,
        channel=Channel.PORTAL,
        urgent=True,
    )
    assert message is not None
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        rendered_subject=f"Subject {key}",
        rendered_body=SECRET,
    )
    return message


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_patient_lists_and_marks_read_their_own_messages_only(
    patient: Patient, other_patient: Patient
) -> None:
    mine = _sent(patient, "mine")
    theirs = _sent(other_patient, "theirs")
    client = _client(patient.user)
    listing = client.get(INBOX).json()
    assert [row["uuid"] for row in listing["results"]] == [str(mine.uuid)]
    assert listing["results"][0]["body"] == SECRET
    read = client.post(f"{INBOX}{mine.uuid}/read/")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert client.get(f"{INBOX}{theirs.uuid}/").status_code == 404
    assert client.post(f"{INBOX}{theirs.uuid}/read/").status_code == 404


def test_the_api_needs_a_sign_in() -> None:
    assert APIClient().get(INBOX).status_code in (401, 403)


def test_the_front_desk_reads_the_log_without_message_text(
    front_desk: User, patient: Patient
) -> None:
    _sent(patient, "one")
    response = _client(front_desk).get(LOG)
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["template_key"] == "example.appointment_reminder"
    assert row["status"] == "sent"
    assert SECRET not in response.content.decode()
    assert "Subject one" not in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["therapist", "patient_user"])
def test_clinicians_and_patients_cannot_read_the_log(
    request: pytest.FixtureRequest, role_fixture: str
) -> None:
    assert _client(request.getfixturevalue(role_fixture)).get(LOG).status_code == 403


@pytest.mark.parametrize("rows", [1, 50])
def test_the_api_lists_hold_their_query_budget(
    patient: Patient,
    front_desk: User,
    django_assert_max_num_queries: Any,
    rows: int,
) -> None:
    for number in range(rows):
        _sent(patient, f"m{number}")
    with django_assert_max_num_queries(4):
        assert len(_client(patient.user).get(INBOX).json()["results"]) == rows
    with django_assert_max_num_queries(6):
        assert len(_client(front_desk).get(LOG).json()["results"]) == rows


def test_the_schema_describes_the_notifications_api(client: Any, front_desk: User) -> None:
    client.force_login(front_desk)  # the schema needs sign-in in production (issue 17)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/notifications/inbox/" in response.content
