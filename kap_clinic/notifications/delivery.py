"""Delivery from the outbox: the dispatcher that finds due messages and the send of messages.

Messages due now are handed to the broker when the transaction that requested them commits
(services); the dispatcher (run by beat every minute) is the safety net and takes everything
else that is due: messages scheduled for later, retries, and anything the broker lost. It claims
due rows with ``select_for_update(skip_locked=True)``, so two dispatchers never take the same row,
stamps ``dispatched_at`` and enqueues the sends after its transaction commits (``enqueue``).

A send claims its rows with a conditional UPDATE (queued -> sending), so a task delivered twice
sends once. Safety nets, all driven by the dispatcher rather than by long countdowns:

* a transient failure (the mail server is down) puts the row back with ``next_attempt_at`` on an
  exponential schedule with jitter (policy: from 30 s up to 2 h, for 24 h in all); the dispatcher
  takes it again then, and after the budget it fails visibly;
* a row dispatched but still queued after ``REDISPATCH_AFTER`` (the broker lost the task) is
  dispatched again;
* a row left "sending" for longer than ``CLAIM_TIMEOUT`` (its worker was killed mid-send) may be
  claimed again, and is dispatched again; after ``MAX_ATTEMPTS`` claims it is marked failed.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from kap_clinic.notifications.channels import channel_for, email_connection
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.enqueue import messages_enqueue
from kap_clinic.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from kap_clinic.notifications.models import ArticleStep, Channel, Message, MessageStatus
from kap_clinic.notifications.policy import outside_quiet_hours
from kap_clinic.notifications.recipients import Recipient, recipient_resolve

logger = logging.getLogger(__name__)

# Claims of one message that never finished (its worker died each time): a poison message stops.
MAX_ATTEMPTS = 30
# A claim older than this belongs to a worker that is gone (longer than the task time limit).
CLAIM_TIMEOUT = timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS)
# A dispatched row whose task never ran is dispatched again after the same time: no message waits
# longer than the claim timeout (plus the dispatcher's minute) after a worker is killed.
REDISPATCH_AFTER = CLAIM_TIMEOUT
BATCH_SIZE = 500
# One dispatcher run stops taking new batches after this long, well before beat's next run.
DISPATCH_TIME_BUDGET_SECONDS = 45.0
# After a message went out, recording that it did is retried this long against a database that
# is restarting, since a task retry would send it again.
RECORD_RETRY_SECONDS = 30.0

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
LAST_ERROR_MAX = 500
DATABASE_ERRORS = (OperationalError, InterfaceError)


def retry_budget() -> timedelta:
    return timedelta(seconds=settings.MESSAGE_RETRY_BUDGET_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` tries: doubling from the first delay up to
    the longest, with "equal jitter" (half fixed, half random) so retries of an outage spread."""
    first = settings.MESSAGE_RETRY_FIRST_SECONDS
    longest = settings.MESSAGE_RETRY_MAX_SECONDS
    delay = min(longest, first * 2 ** min(max(attempts - 1, 0), 30))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))  # noqa: S311


def next_attempt_at(message: Message, *, now: datetime) -> datetime | None:
    """When to try ``message`` again after a transient failure; None when its budget is spent."""
    if message.attempts >= MAX_ATTEMPTS:
        return None
    when = now + retry_delay(message.attempts)
    started = message.first_attempt_at or now
    return when if when <= started + retry_budget() else None


def _due_q(now: datetime) -> Q:
    return (
        Q(status=MessageStatus.QUEUED, send_at__lte=now)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
    ) | Q(status=MessageStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)


def messages_dispatch_batch(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> tuple[int, bool]:
    """Claims one batch of due messages and, once that commits, enqueues sends for them.

    Returns how many were claimed and whether the broker took them all.
    """
    now = now or timezone.now()
    outcome: list[bool] = []
    with transaction.atomic():
        rows = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_due_q(now))
            .order_by("send_at", "id")
            .values_list("id", "status", "attempts", "first_attempt_at", "urgent", "essential")[
                :batch_size
            ]
        )
        if not rows:
            return 0, True
        budget = retry_budget()
        exhausted = {
            pk
            for pk, status, attempts, first_attempt_at, *_ in rows
            if status == MessageStatus.SENDING
            and (attempts >= MAX_ATTEMPTS or (first_attempt_at and first_attempt_at < now - budget))
        }
        if exhausted:
            Message.objects.filter(id__in=exhausted).update(
                status=MessageStatus.FAILED,
                next_attempt_at=None,
                last_error="gave up: attempts to send it did not finish",
            )
        to_send = [(pk, urgent, essential) for pk, *_, urgent, essential in rows]
        to_send = [row for row in to_send if row[0] not in exhausted]
        Message.objects.filter(id__in=[pk for pk, *_ in to_send]).update(dispatched_at=now)
        transaction.on_commit(lambda: outcome.append(messages_enqueue(to_send)), robust=True)
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


def _claimable_q(now: datetime, token: str) -> Q:
    return (
        Q(status=MessageStatus.QUEUED, send_at__lte=now)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    ) | Q(Q(claimed_at__lt=now - CLAIM_TIMEOUT) | Q(claimed_by=token), status=MessageStatus.SENDING)


def messages_claim(
    *, message_ids: Sequence[int], token: str = "", now: datetime | None = None
) -> list[Message]:
    """Takes the rows for this send (queued -> sending) in one UPDATE and returns them; rows
    someone else holds are left out.

    ``token`` names the claimant (the task's id): a task retried after a database error takes its
    own claims back at once instead of waiting for the claim timeout.
    """
    now = now or timezone.now()
    token = token or uuid.uuid4().hex
    Message.objects.filter(_claimable_q(now, token), id__in=message_ids).update(
        status=MessageStatus.SENDING,
        attempts=F("attempts") + 1,
        claimed_at=now,
        claimed_by=token,
        first_attempt_at=Coalesce("first_attempt_at", now),
    )
    return list(
        Message.objects.filter(
            id__in=message_ids, status=MessageStatus.SENDING, claimed_by=token, claimed_at=now
        ).order_by("id")
    )


def message_claim(*, message_id: int, now: datetime | None = None) -> bool:
    """Takes the row for this send (queued -> sending); False when someone else has it."""
    return bool(messages_claim(message_ids=[message_id], now=now))


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


def _articles_context(template_key: str) -> dict[str, Any]:
    steps = ArticleStep.objects.filter(
        template_key=template_key, article__published=True
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


def _record(message_id: int, **fields: Any) -> None:
    """Records the outcome of a claimed send (the claim is released: claimed_by cleared)."""
    Message.objects.filter(id=message_id, status=MessageStatus.SENDING).update(
        claimed_by="", **fields
    )


def _record_after_send(message_id: int, **fields: Any) -> None:
    """Records that a message went out, retrying a database that is restarting for a while: a
    task retry would send the message again (the at-least-once window, README)."""
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    pause = 0.2
    while True:
        try:
            _record(message_id, **fields)
            return
        except DATABASE_ERRORS:
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


@dataclass
class _Batch:
    """What the sends of one task share: resolved recipients, articles, the mail connection."""

    now: datetime
    recipients: dict[tuple[str, str], Recipient | None]
    articles: dict[str, dict[str, Any]]
    connection: Any = None

    def recipient(self, message: Message) -> Recipient | None:
        key = (message.recipient_kind, message.recipient_id)
        if key not in self.recipients:
            self.recipients[key] = recipient_resolve(*key)
        return self.recipients[key]

    def articles_for(self, template_key: str) -> dict[str, Any]:
        if template_key not in self.articles:
            self.articles[template_key] = _articles_context(template_key)
        return self.articles[template_key]


def _deliver_claimed(message: Message, batch: _Batch) -> str:
    """Sends one claimed message and records the outcome; returns its new status."""
    message_id = message.id
    try:
        recipient = batch.recipient(message)
        if recipient is None:
            raise PermanentDeliveryError("the recipient no longer exists")
        if recipient.opted_out and not (message.essential or message.urgent):
            _record(message_id, status=MessageStatus.CANCELLED, last_error="recipient opted out")
            return MessageStatus.CANCELLED
        if not message.urgent and recipient.quiet_hours:
            # Checked again at send time: an outage may have pushed the message into the night.
            morning = outside_quiet_hours(batch.now, time_zone=recipient.zone)
            if morning != batch.now:
                _record(
                    message_id,
                    status=MessageStatus.QUEUED,
                    attempts=F("attempts") - 1,
                    next_attempt_at=morning,
                    dispatched_at=None,
                )
                return MessageStatus.QUEUED
        sender = channel_for(message.channel)
        rendered = message_render(
            message, extra=batch.articles_for(message.template_key), time_zone=recipient.zone
        )
        if rendered is None:
            _record(message_id, status=MessageStatus.CANCELLED, last_error="its subject is gone")
            return MessageStatus.CANCELLED
        if message.channel == Channel.EMAIL and batch.connection is None:
            batch.connection = email_connection()
        delivery = sender.send(
            message=message,
            recipient=recipient,
            rendered=rendered,
            unsubscribe_url=unsubscribe_url(message),
            connection=batch.connection,
        )
    except DATABASE_ERRORS:
        raise  # the task retries with a short backoff; its claim is its own to take back
    except PermanentDeliveryError as error:
        logger.warning("message id=%s failed: %s", message_id, error)
        _record(message_id, status=MessageStatus.FAILED, last_error=str(error)[:LAST_ERROR_MAX])
        return MessageStatus.FAILED
    except TransientDeliveryError as error:
        if batch.connection is not None:
            # A broken mail connection: the next email opens a new one.
            batch.connection.close()
            batch.connection = None
        reason = str(error)[:LAST_ERROR_MAX]
        retry_at = next_attempt_at(message, now=timezone.now())
        if retry_at is None:
            logger.warning("message id=%s failed after %s attempts", message_id, message.attempts)
            _record(
                message_id, status=MessageStatus.FAILED, last_error=reason, next_attempt_at=None
            )
            return MessageStatus.FAILED
        _record(
            message_id,
            status=MessageStatus.QUEUED,
            last_error=reason,
            next_attempt_at=retry_at,
            dispatched_at=None,
        )
        return MessageStatus.QUEUED
    except Exception as error:
        # A bug, not a delivery problem: fail visibly once rather than loop; the log has the trace.
        logger.exception("message id=%s failed unexpectedly", message_id)
        _record(
            message_id,
            status=MessageStatus.FAILED,
            last_error=f"unexpected error ({type(error).__name__})",
        )
        return MessageStatus.FAILED
    _record_after_send(
        message_id,
        status=MessageStatus.SENT,
        provider_id=delivery.provider_id[:200],
        sent_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        rendered_subject=rendered.subject[:300],
        rendered_body=rendered.sms if message.channel == Channel.SMS else rendered.text,
    )
    return MessageStatus.SENT


@contextmanager
def _batch(now: datetime) -> Iterator[_Batch]:
    batch = _Batch(now=now, recipients={}, articles={})
    try:
        yield batch
    finally:
        if batch.connection is not None:
            try:
                batch.connection.close()
            except Exception:
                logger.warning("closing the mail connection failed", exc_info=True)


def messages_deliver(*, message_ids: Sequence[int], token: str = "") -> dict[int, str]:
    """Sends the given messages (those this call can claim) over one mail connection and records
    each outcome; returns {id: new status}, "skipped" for rows someone else holds or that are
    gone.

    A transient failure schedules the next attempt on the row; permanent errors and a spent
    retry budget end in "failed" with the reason. Database errors propagate (the task retries).
    """
    now = timezone.now()
    outcomes: dict[int, str] = dict.fromkeys(message_ids, "skipped")
    claimed = messages_claim(message_ids=message_ids, token=token, now=now)
    with _batch(now) as batch:
        for message in claimed:
            outcomes[message.id] = _deliver_claimed(message, batch)
    return outcomes


def message_deliver(*, message_id: int) -> str:
    """Sends one message and records the outcome; returns its new status (see messages_deliver)."""
    return messages_deliver(message_ids=[message_id])[message_id]
