"""Celery tasks of the outbox: thin, ids only, retry policy declared here.

Delivery problems (a mail server that is down) are not task retries: the send records the next
attempt on the row and the dispatcher takes it then. The task retries only a database that is
briefly away (a restart), with a short backoff, taking its own claims back (README).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from kap_clinic.notifications import delivery

# A database restart: retried after about 1, 2, 4, 8, 10... seconds (jittered), about a minute
# in all; a longer outage is left to the dispatcher's safety net.
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_RETRY_BACKOFF_MAX = 10
DATABASE_MAX_RETRIES = 10


@shared_task(
    name="notifications.messages_send",
    bind=True,
    # The outcome lives in the outbox row; no result backend round trip (which would also stall
    # a worker while Redis is down).
    ignore_result=True,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=1,
    retry_backoff_max=DATABASE_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=DATABASE_MAX_RETRIES,
)
def messages_send(self: Any, message_ids: list[int]) -> dict[int, str]:
    """Sends some messages; safe to run twice (the rows are claimed with a conditional UPDATE)."""
    return delivery.messages_deliver(message_ids=message_ids, token=self.request.id or "")


@shared_task(
    name="notifications.message_send",
    bind=True,
    ignore_result=True,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=1,
    retry_backoff_max=DATABASE_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=DATABASE_MAX_RETRIES,
)
def message_send(self: Any, message_id: int) -> str:
    """Sends one message (tasks enqueued before messages_send existed)."""
    return delivery.messages_deliver(message_ids=[message_id], token=self.request.id or "")[
        message_id
    ]


@shared_task(
    name="notifications.messages_dispatch",
    ignore_result=True,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=1,
    retry_backoff_max=DATABASE_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=3,
)
def messages_dispatch() -> int:
    """Beat, every minute: enqueue sends for the due messages the on-commit path missed."""
    return delivery.messages_dispatch()


@shared_task(name="notifications.daily_digests_queue", ignore_result=True)
def daily_digests_queue() -> int:
    """Beat, every 15 minutes: queue today's clinician digests once 07:00 clinic time has come."""
    from kap_clinic.notifications.digest import daily_digests_queue as queue

    return queue()
