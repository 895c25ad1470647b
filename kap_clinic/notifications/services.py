"""The one way the domain apps ask for a message, and the ways they cancel or move one.

Call these inside the transaction of the event that causes the message: the row commits or rolls
back with it, and delivery happens later from the outbox (the dispatcher), so a broker outage never
fails the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.policy import outside_quiet_hours
from kap_clinic.notifications.recipients import Recipient


def message_request(
    *,
    recipient: Recipient,
    template_key: str,
    idempotency_key: str,
    refs: Mapping[str, str] | None = None,
    subject_key: str = "",
    send_at: datetime | None = None,
    channel: str | None = None,
    essential: bool = False,
    urgent: bool = False,
) -> Message | None:
    """Queues one message; asking twice with the same idempotency key returns the first.

    Returns None when the recipient opted out of non-essential messages. Non-urgent messages that
    fall in the recipient's quiet hours are held until the quiet hours end.
    """
    if recipient.opted_out and not (essential or urgent):
        return None
    when = send_at or timezone.now()
    if not urgent:
        when = outside_quiet_hours(when, time_zone=recipient.zone)
    defaults = {
        "recipient_kind": recipient.kind,
        "recipient_id": recipient.id,
        "recipient_user": recipient.user,
        "channel": channel or recipient.preferred_channel or Channel.EMAIL,
        "template_key": template_key,
        "refs": dict(refs or {}),
        "subject_key": subject_key,
        "send_at": when,
        "essential": essential,
        "urgent": urgent,
    }
    try:
        with transaction.atomic():
            message, _ = Message.objects.get_or_create(
                idempotency_key=idempotency_key, defaults=defaults
            )
    except IntegrityError:  # a concurrent request with the same key won the insert
        message = Message.objects.get(idempotency_key=idempotency_key)
    return message


def messages_cancel(*, subject_key: str) -> int:
    """Cancels the pending messages about one thing (a cancelled appointment); returns how many."""
    return Message.objects.filter(subject_key=subject_key, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED
    )
