"""`make bench`: the outbox against Celery's own ceiling, on the same worker, in the same run.

1. A no-op task, BENCH_MESSAGES times, through one worker (prefork, 2 processes): tasks/s.
2. BENCH_MESSAGES ordinary (bulk) messages through the dispatcher and the same worker into a
   counting email backend: messages/s, and the ratio to (1).
3. Meanwhile a safety alert is requested every half second from this process (enqueued when its
   transaction commits): its latency from request to send, p50 and p99, with the backlog queued.

Fails unless every message was sent exactly once. Not collected by `make test` (the file name does
not start with test_); scripts/bench.sh runs it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.celery import QUEUE_BULK
from kap_clinic.celery import app as celery_app
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import SAFETY_ALERT, message_request
from tests.notifications.worker_support import (
    child_env,
    deliveries,
    dispatcher_loop_start,
    isolated_redis_url,
    wait_until,
    worker_start,
    worker_stop,
)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "10000"))
ALERT_EVERY_SECONDS = 0.5


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _noop_rate(broker: redis.Redis, url: str, *, worker_name: str) -> float:
    """No-op tasks per second through the running worker: the queue is filled while the worker
    does not consume it, then timed from the moment it does to the last acknowledgement."""
    client = Celery("bench", broker=url)
    destination = [f"{worker_name}-{os.getpid()}@localhost"]
    client.control.cancel_consumer(QUEUE_BULK, destination=destination, reply=True)
    with client.producer_or_acquire() as producer:
        for _ in range(MESSAGES):
            client.send_task("kap_clinic.noop", queue=QUEUE_BULK, producer=producer)
    started = time.monotonic()
    client.control.add_consumer(QUEUE_BULK, destination=destination, reply=True)
    wait_until(
        lambda: broker.llen(QUEUE_BULK) == 0 and broker.hlen("unacked") == 0,
        timeout=1800,
        what="the no-op tasks to finish",
    )
    elapsed = time.monotonic() - started
    client.close()
    return MESSAGES / elapsed


@pytest.mark.django_db(transaction=True)
def test_bench_due_messages_through_a_real_worker(tmp_path: Path, therapist: User) -> None:
    url = isolated_redis_url()
    broker = redis.Redis.from_url(url)
    broker.flushdb()
    # This process stands for the web app: its on-commit enqueues go to the bench's broker.
    celery_app.conf.broker_url = url
    log = tmp_path / "deliveries.log"
    env = child_env(redis_url=url, delivery_log=log)
    worker = worker_start(env, name="bench", pool="prefork", concurrency=2)
    dispatcher = None
    alerts: list[Message] = []
    try:
        noop_rate = _noop_rate(broker, url, worker_name="bench")

        Message.objects.bulk_create(
            Message(
                recipient_kind="user",
                recipient_id=str(therapist.uuid),
                recipient_user=therapist,
                channel=Channel.EMAIL,
                template_key=SAFETY_ALERT,
                refs={"path": "/"},
                send_at=timezone.now(),
                idempotency_key=f"bench-{number}",
            )
            for number in range(MESSAGES)
        )
        started = time.monotonic()
        # Beat, sped up: the dispatcher runs again a fifth of a second after each run.
        dispatcher = dispatcher_loop_start(env, interval=0.2)
        while Message.objects.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING],
                                     urgent=False).exists():  # fmt: skip
            with transaction.atomic():
                alert = message_request(
                    recipient=recipient_for_user(therapist),
                    template_key=SAFETY_ALERT,
                    idempotency_key=f"bench-alert-{len(alerts)}",
                    refs={"path": "/"},
                    channel=Channel.EMAIL,
                    essential=True,
                    urgent=True,
                )
            assert alert is not None
            alerts.append(alert)
            time.sleep(ALERT_EVERY_SECONDS)  # the pace of the alerts, not a wait for an event
        wait_until(
            lambda: (
                Message.objects.filter(status=MessageStatus.SENT).count() == MESSAGES + len(alerts)
            ),
            timeout=120,
            what="every message to be sent",
        )
        elapsed = time.monotonic() - started
    finally:
        if dispatcher is not None:
            worker_stop(dispatcher)
        worker_stop(worker)
        broker.close()

    bulk = list(
        Message.objects.filter(urgent=False).values_list("send_at", "dispatched_at", "sent_at")
    )
    first = min(dispatched for _, dispatched, _ in bulk if dispatched)
    last = max(sent for *_, sent in bulk if sent)
    rate = MESSAGES / max((last - first).total_seconds(), 1e-6)
    alert_lags = [
        (sent_at - created_at).total_seconds()
        for created_at, sent_at in Message.objects.filter(urgent=True).values_list(
            "created_at", "sent_at"
        )
    ]
    statuses = Counter(Message.objects.values_list("status", flat=True))
    counts = Counter(deliveries(log))
    print(
        f"\noutbox bench: {MESSAGES} bulk messages, 1 worker (prefork, 2 processes)\n"
        f"  no-op task:     {noop_rate:.0f} tasks/s (Celery's ceiling on this worker)\n"
        f"  outbox:         {rate:.0f} messages/s (first dispatch to last send), "
        f"{rate / noop_rate:.0%} of the no-op rate; {elapsed:.1f} s wall clock\n"
        f"  safety alerts:  {len(alert_lags)} during the backlog, request -> sent "
        f"p50 {_percentile(alert_lags, 0.5):.2f} s, p99 {_percentile(alert_lags, 0.99):.2f} s\n"
        f"  statuses:       {dict(statuses)}\n"
        f"  delivered:      {len(counts)} distinct, {sum(counts.values())} deliveries"
    )
    assert statuses == {MessageStatus.SENT: MESSAGES + len(alerts)}
    assert len(counts) == MESSAGES + len(alerts)
    assert set(counts.values()) == {1}, "a message was delivered twice"
    assert max(alert_lags) < timedelta(seconds=10).total_seconds()
