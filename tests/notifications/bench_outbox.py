"""`make bench`: due messages through the dispatcher and a real worker into a counting backend.

Not collected by `make test` (the file name does not start with test_); scripts/bench.sh runs it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.services import SAFETY_ALERT
from tests.notifications.worker_support import (
    child_env,
    deliveries,
    dispatch,
    isolated_redis_url,
    wait_until,
    worker_start,
    worker_stop,
)

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "10000"))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


@pytest.mark.django_db(transaction=True)
def test_bench_due_messages_through_a_real_worker(tmp_path: Path, therapist: User) -> None:
    import redis

    redis.Redis.from_url(isolated_redis_url()).flushdb()
    log = tmp_path / "deliveries.log"
    env = child_env(redis_url=isolated_redis_url(), delivery_log=log)
    worker = worker_start(env, name="bench", pool="prefork", concurrency=2)
    try:
        due = timezone.now()
        Message.objects.bulk_create(
            Message(
                recipient_kind="user",
                recipient_id=str(therapist.uuid),
                recipient_user=therapist,
                channel=Channel.EMAIL,
                template_key=SAFETY_ALERT,
                refs={"path": "/"},
                send_at=due,
                essential=True,
                urgent=True,
                idempotency_key=f"bench-{number}",
            )
            for number in range(MESSAGES)
        )
        started = time.monotonic()
        # Beat would run the dispatcher every minute; here it runs again as soon as one run ends.
        while Message.objects.filter(dispatched_at__isnull=True).exists():
            dispatch(env)
        wait_until(
            lambda: (
                not Message.objects.filter(
                    status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
                ).exists()
            ),
            timeout=1800,
            what="every message to be sent",
        )
        elapsed = time.monotonic() - started
    finally:
        worker_stop(worker)

    rows = list(Message.objects.values_list("send_at", "dispatched_at", "sent_at", "status"))
    statuses = Counter(status for *_, status in rows)
    counts = Counter(deliveries(log))
    dispatch_lags = [_seconds(dispatched - send_at) for send_at, dispatched, _, _ in rows]
    delivery_lags = [_seconds(sent - send_at) for send_at, _, sent, _ in rows if sent]
    first: datetime = min(dispatched for _, dispatched, _, _ in rows)
    last: datetime = max(sent for _, _, sent, _ in rows if sent)
    rate = MESSAGES / max(_seconds(last - first), 1e-6)
    print(
        f"\noutbox bench: {MESSAGES} messages, 1 worker (prefork, 2 processes)\n"
        f"  throughput:     {rate:.0f} messages/s (first dispatch to last send), "
        f"{elapsed:.1f} s wall clock\n"
        f"  dispatch lag:   p50 {_percentile(dispatch_lags, 0.5):.2f} s, "
        f"p99 {_percentile(dispatch_lags, 0.99):.2f} s (due -> enqueued)\n"
        f"  delivery lag:   p50 {_percentile(delivery_lags, 0.5):.2f} s, "
        f"p99 {_percentile(delivery_lags, 0.99):.2f} s (due -> sent)\n"
        f"  statuses:       {dict(statuses)}\n"
        f"  delivered:      {len(counts)} distinct, {sum(counts.values())} deliveries"
    )
    assert statuses == {MessageStatus.SENT: MESSAGES}
    assert len(counts) == MESSAGES
    assert set(counts.values()) == {1}, "a message was delivered twice"
