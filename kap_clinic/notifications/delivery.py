"""Delivery from the outbox: the dispatcher that finds due messages and the send of one message.

The dispatcher (run by beat every minute) claims due rows with ``select_for_update(skip_locked=
True)``, so two dispatchers never take the same row, stamps ``dispatched_at`` and enqueues one send
task per row after its transaction commits. The send claims its row with a conditional UPDATE
(queued -> sending), so a task delivered twice sends once. Safety nets, both driven by the
dispatcher rather than by long countdowns:

* a row dispatched long ago but still queued (the broker lost the task, or was down) is dispatched
  again after ``REDISPATCH_AFTER``;
* a row left "sending" for longer than ``CLAIM_TIMEOUT`` (its worker was killed mid-send) may be
  claimed again, and is dispatched again; after ``MAX_ATTEMPTS`` claims it is marked failed.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from kap_clinic.celery import app as celery_app
from kap_clinic.notifications.channels import channel_for
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from kap_clinic.notifications.models import ArticleStep, Channel, Message, MessageStatus
from kap_clinic.notifications.recipients import recipient_resolve

logger = logging.getLogger(__name__)

# Retries after a transient error (the send task's max_retries); the first try makes one more.
MAX_RETRIES = 5
MAX_ATTEMPTS = MAX_RETRIES + 1
# A claim older than the task's hard time limit belongs to a worker that is gone.
CLAIM_TIMEOUT = timedelta(seconds=int(celery_app.conf.task_time_limit or 120) + 60)
# Longer than the longest retry countdown (retry_backoff_max), so a retry in flight is not doubled.
REDISPATCH_AFTER = timedelta(minutes=5)
BATCH_SIZE = 500
# One dispatcher run stops taking new batches after this long, well before beat's next run.
DISPATCH_TIME_BUDGET_SECONDS = 45.0

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
LAST_ERROR_MAX = 500


def _due_q(now: datetime) -> Q:
    return (
        Q(status=MessageStatus.QUEUED, send_at__lte=now)
        & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
    ) | Q(status=MessageStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)


def _enqueue(message_ids: list[int]) -> bool:
    """Enqueues one send task per message; False when the broker refused (it is down)."""
    from kap_clinic.notifications.tasks import message_send

    for position, message_id in enumerate(message_ids):
        try:
            # No retries against a broker that is down: the dispatcher's next run tries again.
            message_send.apply_async(args=(message_id,), retry=False)
        except Exception:
            rest = message_ids[position:]
            logger.warning("broker refused; %s messages will be dispatched again", len(rest))
            # Due again at the next run (a minute), not only after the safety net's delay, and
            # no more attempts now: each would wait out the connection timeout again.
            Message.objects.filter(id__in=rest, status=MessageStatus.QUEUED).update(
                dispatched_at=None
            )
            return False
    return True


def messages_dispatch_batch(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> tuple[int, bool]:
    """Claims one batch of due messages and, once that commits, enqueues a send for each.

    Returns how many were claimed and whether the broker took them all.
    """
    now = now or timezone.now()
    outcome: list[bool] = []
    with transaction.atomic():
        rows = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_due_q(now))
            .order_by("send_at", "id")
            .values_list("id", "status", "attempts")[:batch_size]
        )
        if not rows:
            return 0, True
        exhausted = {
            pk
            for pk, status, attempts in rows
            if status == MessageStatus.SENDING and attempts >= MAX_ATTEMPTS
        }
        if exhausted:
            Message.objects.filter(id__in=exhausted).update(
                status=MessageStatus.FAILED,
                last_error=f"gave up after {MAX_ATTEMPTS} attempts that did not finish",
            )
        to_send = [pk for pk, *_ in rows if pk not in exhausted]
        Message.objects.filter(id__in=to_send).update(dispatched_at=now)
        transaction.on_commit(lambda: outcome.append(_enqueue(to_send)), robust=True)
    return len(rows), all(outcome)


def messages_dispatch(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    time_budget: float = DISPATCH_TIME_BUDGET_SECONDS,
) -> int:
    """Dispatches due messages batch by batch until none is left or the time budget is spent."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < time_budget:
        claimed, enqueued = messages_dispatch_batch(now=now, batch_size=batch_size)
        total += claimed
        if claimed < batch_size or not enqueued:
            break
    return total


def message_claim(*, message_id: int, now: datetime | None = None) -> bool:
    """Takes the row for this send (queued -> sending); False when someone else has it."""
    now = now or timezone.now()
    return bool(
        Message.objects.filter(
            Q(status=MessageStatus.QUEUED)
            | Q(status=MessageStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT),
            id=message_id,
            send_at__lte=now,
        ).update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )


def unsubscribe_token(*, recipient_kind: str, recipient_id: str) -> str:
    return signing.dumps({"k": recipient_kind, "i": recipient_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(message: Message) -> str:
    """The one-click link that opts the recipient out of non-essential messages.

    Empty for essential and urgent messages, which go out whatever the preference.
    """
    if message.essential or message.urgent or message.channel != Channel.EMAIL:
        return ""
    token = unsubscribe_token(
        recipient_kind=message.recipient_kind, recipient_id=message.recipient_id
    )
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])


def _articles_context(message: Message) -> dict[str, Any]:
    steps = ArticleStep.objects.filter(
        template_key=message.template_key, article__published=True
    ).select_related("article")
    return {
        "preparation_articles": [
            {
                "title": step.article.title,
                "url": settings.SITE_URL
                + reverse("notifications:article_read", args=[step.article.slug]),
            }
            for step in steps
        ]
    }


def _finish(message_id: int, **fields: Any) -> None:
    Message.objects.filter(id=message_id, status=MessageStatus.SENDING).update(**fields)


def message_deliver(*, message_id: int) -> str:
    """Sends one claimed-or-claimable message and records the outcome; returns its new status.

    Raises TransientDeliveryError (the row is back to queued) when a retry may help and attempts
    remain; permanent errors and exhausted attempts end in "failed" with the reason.
    """
    if not message_claim(message_id=message_id):
        return "skipped"
    message = Message.objects.get(id=message_id)
    try:
        recipient = recipient_resolve(message.recipient_kind, message.recipient_id)
        if recipient is None:
            raise PermanentDeliveryError("the recipient no longer exists")
        if recipient.opted_out and not (message.essential or message.urgent):
            _finish(message_id, status=MessageStatus.CANCELLED, last_error="recipient opted out")
            return MessageStatus.CANCELLED
        sender = channel_for(message.channel)
        rendered = message_render(
            message, extra=_articles_context(message), time_zone=recipient.zone
        )
        if rendered is None:
            _finish(message_id, status=MessageStatus.CANCELLED, last_error="its subject is gone")
            return MessageStatus.CANCELLED
        delivery = sender.send(
            message=message,
            recipient=recipient,
            rendered=rendered,
            unsubscribe_url=unsubscribe_url(message),
        )
    except PermanentDeliveryError as error:
        logger.warning("message id=%s failed: %s", message_id, error)
        _finish(message_id, status=MessageStatus.FAILED, last_error=str(error)[:LAST_ERROR_MAX])
        return MessageStatus.FAILED
    except TransientDeliveryError as error:
        reason = str(error)[:LAST_ERROR_MAX]
        if message.attempts >= MAX_ATTEMPTS:
            logger.warning("message id=%s failed after %s attempts", message_id, message.attempts)
            _finish(message_id, status=MessageStatus.FAILED, last_error=reason)
            return MessageStatus.FAILED
        _finish(message_id, status=MessageStatus.QUEUED, last_error=reason)
        raise
    except Exception as error:
        # A bug, not a delivery problem: fail visibly once rather than loop; the log has the trace.
        logger.exception("message id=%s failed unexpectedly", message_id)
        _finish(
            message_id,
            status=MessageStatus.FAILED,
            last_error=f"unexpected error ({type(error).__name__})",
        )
        return MessageStatus.FAILED
    _finish(
        message_id,
        status=MessageStatus.SENT,
        provider_id=delivery.provider_id[:200],
        sent_at=timezone.now(),
        last_error="",
        rendered_subject=rendered.subject[:300],
        rendered_body=rendered.sms if message.channel == Channel.SMS else rendered.text,
    )
    return MessageStatus.SENT
