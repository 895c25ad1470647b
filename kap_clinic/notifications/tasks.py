"""Celery tasks of the outbox: thin, ids only, retry policy declared here."""

from __future__ import annotations

from celery import shared_task

from kap_clinic.notifications import delivery
from kap_clinic.notifications.errors import TransientDeliveryError


@shared_task(
    name="notifications.message_send",
    # The outcome lives in the outbox row; no result backend round trip (which would also stall
    # a dispatcher while Redis is down).
    ignore_result=True,
    autoretry_for=(TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=delivery.MAX_RETRIES,
)
def message_send(message_id: int) -> str:
    """Sends one message; safe to run twice (the row is claimed with a conditional UPDATE)."""
    return delivery.message_deliver(message_id=message_id)


@shared_task(name="notifications.messages_dispatch", ignore_result=True)
def messages_dispatch() -> int:
    """Beat, every minute: enqueue a send for each due message."""
    return delivery.messages_dispatch()


@shared_task(name="notifications.daily_digests_queue", ignore_result=True)
def daily_digests_queue() -> int:
    """Beat, every 15 minutes: queue today's clinician digests once 07:00 clinic time has come."""
    from kap_clinic.notifications.digest import daily_digests_queue as queue

    return queue()
