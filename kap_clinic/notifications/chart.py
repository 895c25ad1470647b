"""The patient chart's timeline of what the clinic sent (never its text), and message names."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kap_clinic.accounts.models import User
from kap_clinic.chart import (
    ALL_STAFF,
    TimelineEvent,
    chart_timeline_register,
)
from kap_clinic.notifications.models import Message, MessageStatus

# The outbox's recipient kind for patients (intake.messaging.PATIENT_KIND; not imported upward).
PATIENT_KIND = "patient"


def template_label(template_key: str) -> str:
    """A message template's key in clinic words: "sessions.dosing_reminder_24h" → "Dosing
    reminder 24h"."""
    name = template_key.rsplit(".", 1)[-1].replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def _messages(patient: Any) -> QuerySet[Message]:
    return Message.objects.filter(
        recipient_kind=PATIENT_KIND, recipient_id=str(patient.uuid)
    ).order_by("-send_at", "-id")


def _events(patient: Any, user: User) -> list[TimelineEvent]:
    return [
        TimelineEvent(
            at=message.sent_at,  # type: ignore[arg-type]
            kind="notifications.message_sent",
            title=f"Message sent: {template_label(message.template_key)}",
            detail=message.get_channel_display(),
            ref=str(message.uuid),
        )
        for message in _messages(patient).filter(status=MessageStatus.SENT, sent_at__isnull=False)
    ]


def register() -> None:
    chart_timeline_register("notifications.sent", ALL_STAFF, _events)
