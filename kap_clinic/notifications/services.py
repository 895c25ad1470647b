"""The one way the domain apps ask for a message, and the ways they cancel or move one.

Call these inside the transaction of the event that causes the message: the row commits or rolls
back with it. A message due now is handed to the broker once that transaction commits (urgent
ones to the urgent queue); anything else, or anything the broker refused, goes out from the
outbox through the dispatcher, so a broker outage never fails the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.enqueue import messages_enqueue
from kap_clinic.notifications.models import Channel, ContactPreference, Message, MessageStatus
from kap_clinic.notifications.policy import outside_quiet_hours
from kap_clinic.notifications.recipients import (
    Recipient,
    recipient_for_user,
    recipient_resolve,
    recipient_with_preferences,
)

SAFETY_ALERT = "safety.alert"
DAILY_DIGEST = "digest.daily"


def _channel_for(recipient: Recipient, requested: str | None) -> str:
    """The requested channel, else the recipient's preference, falling back to email when the
    preferred channel cannot reach them (no mobile number, no portal sign-in)."""
    channel = requested or recipient.preferred_channel or Channel.EMAIL
    if requested is None and (
        (channel == Channel.SMS and not recipient.mobile)
        or (channel == Channel.PORTAL and recipient.user is None)
    ):
        channel = Channel.EMAIL
    return channel


def _dispatch_now_if_due(defaults: dict[str, Any], *, now: datetime) -> bool:
    """Marks a message due now as dispatched (so the dispatcher leaves it alone) when it will be
    enqueued on commit; True when it will."""
    if not settings.MESSAGE_ENQUEUE_ON_COMMIT or defaults["send_at"] > now:
        return False
    defaults["dispatched_at"] = now
    return True


def _enqueue_on_commit(message: Message) -> None:
    row = (message.id, message.urgent, message.essential)
    # robust: a broker that is down never fails the event; the row is due for the dispatcher.
    transaction.on_commit(lambda: messages_enqueue([row]), robust=True)


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

    The recipient's saved preferences (channel, opt-out) apply. Returns None when the recipient
    opted out of non-essential messages. Non-urgent messages that fall in the recipient's quiet
    hours are held until the quiet hours end.
    """
    recipient = recipient_with_preferences(recipient)
    if recipient.opted_out and not (essential or urgent):
        return None
    when = send_at or timezone.now()
    if not urgent and recipient.quiet_hours:
        when = outside_quiet_hours(when, time_zone=recipient.zone)
    defaults = {
        "recipient_kind": recipient.kind,
        "recipient_id": recipient.id,
        "recipient_user": recipient.user,
        "channel": _channel_for(recipient, channel),
        "template_key": template_key,
        "refs": dict(refs or {}),
        "subject_key": subject_key,
        "send_at": when,
        "essential": essential,
        "urgent": urgent,
    }
    at_once = _dispatch_now_if_due(defaults, now=timezone.now())
    try:
        with transaction.atomic():
            message, created = Message.objects.get_or_create(
                idempotency_key=idempotency_key, defaults=defaults
            )
    except IntegrityError:  # a concurrent request with the same key won the insert
        message, created = Message.objects.get(idempotency_key=idempotency_key), False
    if created and at_once:
        _enqueue_on_commit(message)
    return message


def messages_cancel(*, subject_key: str) -> int:
    """Cancels the pending messages about one thing (a cancelled appointment); returns how many."""
    return Message.objects.filter(subject_key=subject_key, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED
    )


@transaction.atomic
def message_resend(
    *, message: Message, by: Any = None, request: HttpRequest | None = None
) -> Message:
    """Queues a failed message again as a new row (the failed one stays in the log): now, or when
    the recipient's quiet hours end; records who asked in the audit log.

    Resending the same failed message twice returns the first resend.
    """
    if message.status != MessageStatus.FAILED:
        raise ValidationError("Only a failed message can be resent.")
    recipient = recipient_resolve(message.recipient_kind, message.recipient_id)
    if recipient is None:
        raise ValidationError("The recipient of this message no longer exists.")
    now = timezone.now()
    send_at = now
    if not message.urgent and recipient.quiet_hours:
        send_at = outside_quiet_hours(send_at, time_zone=recipient.zone)
    defaults: dict[str, Any] = {
        "recipient_kind": message.recipient_kind,
        "recipient_id": message.recipient_id,
        "recipient_user": message.recipient_user,
        "channel": message.channel,
        "template_key": message.template_key,
        "refs": message.refs,
        "subject_key": message.subject_key,
        "send_at": send_at,
        "essential": message.essential,
        "urgent": message.urgent,
        "resent_from": message,
    }
    at_once = _dispatch_now_if_due(defaults, now=now)
    resend, created = Message.objects.get_or_create(
        idempotency_key=f"resend:{message.uuid}", defaults=defaults
    )
    if created and at_once:
        _enqueue_on_commit(resend)
    if created:
        audit_record(
            action=AuditAction.CREATE,
            request=request,
            actor=by,
            obj=resend,
            detail="resend of a message",
        )
    return resend


def messages_resend_failed(
    *,
    by: Any,
    request: HttpRequest | None = None,
    recipient_kind: str = "",
    recipient_id: str = "",
    template_key: str = "",
    limit: int = 1000,
) -> int:
    """Resends every failed message that matches the filter and has not been resent yet (after an
    outage outlasted the retry budget); returns how many were queued again.

    Each resend commits on its own, so one recipient who is gone does not hold back the others.
    """
    failed = Message.objects.filter(status=MessageStatus.FAILED, resends__isnull=True)
    if recipient_kind:
        failed = failed.filter(recipient_kind=recipient_kind, recipient_id=recipient_id)
    if template_key:
        failed = failed.filter(template_key=template_key)
    count = 0
    for message in failed.order_by("send_at", "id")[:limit]:
        try:
            message_resend(message=message, by=by, request=request)
        except ValidationError:
            continue
        count += 1
    return count


@transaction.atomic
def contact_preference_set(
    *,
    recipient_kind: str,
    recipient_id: str,
    channel: str | None = None,
    opted_out: bool | None = None,
) -> ContactPreference:
    """Saves how a recipient wants to hear from the clinic; None leaves a field unchanged.

    Opting out also cancels the recipient's pending non-essential messages.
    """
    if channel is not None and channel not in {"", *Channel.values}:
        raise ValidationError(f"Unknown channel {channel!r}.")
    preference, _ = ContactPreference.objects.select_for_update().get_or_create(
        recipient_kind=recipient_kind, recipient_id=recipient_id
    )
    if channel is not None:
        preference.channel = channel
    if opted_out is not None:
        preference.opted_out = opted_out
    preference.updated_at = timezone.now()
    preference.full_clean()
    preference.save()
    if preference.opted_out:
        Message.objects.filter(
            recipient_kind=recipient_kind,
            recipient_id=recipient_id,
            status=MessageStatus.QUEUED,
            essential=False,
            urgent=False,
        ).update(status=MessageStatus.CANCELLED)
    return preference


def safety_alert_request(
    *, staff_users: Iterable[Any], refs: Mapping[str, str], idempotency_key: str
) -> list[Message]:
    """Alerts each staff user at once, by email and in their portal inbox (urgent, essential).

    ``refs`` holds ids only; ``refs["path"]`` may name the page to open (e.g. the patient's record).
    Call inside the transaction that records the safety finding.
    """
    messages: list[Message] = []
    for user in staff_users:
        if getattr(user, "is_patient", False):
            raise ValidationError("Safety alerts go to staff only.")
        for channel in (Channel.EMAIL, Channel.PORTAL):
            message = message_request(
                recipient=recipient_for_user(user),
                template_key=SAFETY_ALERT,
                idempotency_key=f"{idempotency_key}:{user.uuid}:{channel}",
                refs=refs,
                channel=channel,
                essential=True,
                urgent=True,
            )
            if message is not None:
                messages.append(message)
    return messages


def daily_digest_request(
    *, user: Any, day: date, send_at: datetime | None = None
) -> Message | None:
    """Queues one clinician's digest for ``day`` (once per clinician and day)."""
    return message_request(
        recipient=recipient_for_user(user),
        template_key=DAILY_DIGEST,
        idempotency_key=f"digest:{user.uuid}:{day.isoformat()}",
        refs={"date": day.isoformat()},
        send_at=send_at,
        channel=Channel.EMAIL,
        essential=True,
    )
