"""The message log puts what needs someone first: failed, then due, then what went out (newest
first), then what is scheduled (soonest first); a reminder for next year never heads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.selectors import messages_for_log
from kap_clinic.notifications.services import message_request

pytestmark = pytest.mark.django_db


def _message(patient: Patient, key: str, *, status: str, send_at_days: float) -> Message:
    message = message_request(
        recipient=patient_recipient(patient),
        template_key="sessions.dosing_reminder_24h",
        idempotency_key=key,
        channel=Channel.EMAIL,
        send_at=timezone.now() + timedelta(days=send_at_days),
    )
    assert message is not None
    Message.objects.filter(id=message.id).update(
        status=status, send_at=timezone.now() + timedelta(days=send_at_days)
    )
    return message


def test_the_log_lists_failed_then_due_then_newest_sent_then_soonest_scheduled(
    patient: Patient,
) -> None:
    next_year = _message(patient, "next-year", status=MessageStatus.QUEUED, send_at_days=400)
    tomorrow = _message(patient, "tomorrow", status=MessageStatus.QUEUED, send_at_days=1)
    sent_last_week = _message(patient, "last-week", status=MessageStatus.SENT, send_at_days=-7)
    sent_yesterday = _message(patient, "yesterday", status=MessageStatus.SENT, send_at_days=-1)
    due = _message(patient, "due", status=MessageStatus.QUEUED, send_at_days=-0.01)
    failed = _message(patient, "failed", status=MessageStatus.FAILED, send_at_days=-3)
    assert list(messages_for_log()) == [
        failed,
        due,
        sent_yesterday,
        sent_last_week,
        tomorrow,
        next_year,
    ]


def test_the_log_page_names_messages_in_clinic_words(
    client: Client, patient: Patient, front_desk: User
) -> None:
    _message(patient, "failed", status=MessageStatus.FAILED, send_at_days=-1)
    client.force_login(front_desk)
    page = client.get(reverse("notifications:message_log")).content.decode()
    assert "Dosing reminder 24h" in page
    assert "sessions.dosing_reminder_24h</" not in page
