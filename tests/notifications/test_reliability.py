"""Reliability with real Redis and real workers in child processes, against the test database:
a worker killed mid-send, Redis stopped while messages are requested, two dispatchers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import transaction
from django.db.models import F

from kap_clinic.accounts.models import User
from kap_clinic.notifications import delivery
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import SAFETY_ALERT, message_request
from tests.notifications.worker_support import (
    child_env,
    deliveries,
    dispatch,
    dispatcher_result,
    dispatcher_start,
    free_port,
    isolated_redis_url,
    wait_until,
    worker_start,
    worker_stop,
)

# The test process is not one of the workers' broker clients: its messages go out through the
# dispatcher (a child process), as they would when the broker refused them on commit.
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dispatcher_only"),
]


def _queue(user: User, count: int, *, prefix: str) -> list[Message]:
    """Due, urgent email alerts to ``user`` (a template with a builder in every process)."""
    messages = []
    for number in range(count):
        message = message_request(
            recipient=recipient_for_user(user),
            template_key=SAFETY_ALERT,
            idempotency_key=f"{prefix}-{number}",
            refs={"path": "/"},
            channel=Channel.EMAIL,
            essential=True,
            urgent=True,
        )
        assert message is not None
        messages.append(message)
    return messages


def _all_sent(count: int) -> bool:
    return Message.objects.filter(status=MessageStatus.SENT).count() == count


@pytest.fixture
def flush_isolated_redis() -> Iterator[None]:
    client = redis.Redis.from_url(isolated_redis_url())
    client.flushdb()
    yield
    client.flushdb()
    client.close()


def test_a_worker_killed_mid_send_still_delivers_the_message_once(
    tmp_path: Path, therapist: User, flush_isolated_redis: None
) -> None:
    log = tmp_path / "deliveries.log"
    fifo = tmp_path / "sending.fifo"
    os.mkfifo(fifo)
    redis_url = isolated_redis_url()
    announced: list[str] = []
    listener = threading.Thread(
        target=lambda: announced.append(fifo.open().readline().strip()), daemon=True
    )
    listener.start()
    doomed = worker_start(
        child_env(redis_url=redis_url, delivery_log=log, KAP_TEST_BLOCK_FIFO=str(fifo)),
        name="doomed",
    )
    try:
        (message,) = _queue(therapist, 1, prefix="killed")
        assert dispatch(child_env(redis_url=redis_url, delivery_log=log)) == 1
        listener.join(timeout=60)  # the worker announces the send, then hangs in it
        assert announced == [f"sending {message.uuid}"]
        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.SENDING, 1)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=20)
    finally:
        if listener.is_alive():  # unblock the listener if the worker never opened the pipe
            with fifo.open("w"):
                pass
        worker_stop(doomed)

    survivor = worker_start(child_env(redis_url=redis_url, delivery_log=log), name="survivor")
    try:
        # Time passes beyond the task time limit: the dead worker's claim has expired.
        Message.objects.filter(id=message.id).update(
            claimed_at=F("claimed_at") - delivery.CLAIM_TIMEOUT - timedelta(seconds=1),
            dispatched_at=F("dispatched_at") - delivery.CLAIM_TIMEOUT,
        )
        assert dispatch(child_env(redis_url=redis_url, delivery_log=log)) == 1
        wait_until(lambda: _all_sent(1), timeout=60, what="the message to be sent")
    finally:
        worker_stop(survivor)
    message.refresh_from_db()
    assert message.attempts == 2
    assert deliveries(log) == [str(message.uuid)]


def test_two_dispatchers_at_once_send_every_message_once(
    tmp_path: Path, therapist: User, flush_isolated_redis: None
) -> None:
    log = tmp_path / "deliveries.log"
    env = child_env(redis_url=isolated_redis_url(), delivery_log=log)
    messages = _queue(therapist, 120, prefix="two-beats")
    worker = worker_start(env, name="two-beats", pool="prefork", concurrency=2)
    try:
        first = dispatcher_start(env, batch_size=10)
        second = dispatcher_start(env, batch_size=10)
        claimed = dispatcher_result(first) + dispatcher_result(second)
        assert claimed == len(messages)
        wait_until(lambda: _all_sent(len(messages)), timeout=120, what="every message to be sent")
    finally:
        worker_stop(worker)
    counts = Counter(deliveries(log))
    assert set(counts) == {str(message.uuid) for message in messages}
    assert set(counts.values()) == {1}


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A Redis server of this test's own, which the test stops and starts again."""
    port = free_port()
    servers: list[subprocess.Popen[bytes]] = []
    yield port, servers
    for server in servers:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)


def _redis_start(port: int, servers: list[subprocess.Popen[bytes]], directory: Path) -> None:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    servers.append(server)
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until(answers, timeout=30, what="the throwaway Redis to start")
    client.close()


def test_messages_requested_while_redis_is_down_go_out_once_it_is_back(
    tmp_path: Path,
    therapist: User,
    throwaway_redis: tuple[int, list[subprocess.Popen[bytes]]],
) -> None:
    port, servers = throwaway_redis
    log = tmp_path / "deliveries.log"
    env = child_env(redis_url=f"redis://127.0.0.1:{port}/0", delivery_log=log)
    _redis_start(port, servers, tmp_path)
    worker = worker_start(env, name="outage")
    try:
        servers[-1].terminate()
        servers[-1].wait(timeout=20)
        # The events that cause messages (bookings) commit while the broker is down.
        with transaction.atomic():
            messages = _queue(therapist, 5, prefix="outage")
        assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 5
        # The dispatcher runs, cannot enqueue, and neither crashes nor loses a message.
        assert dispatch(env) == 5
        assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 5
        assert not Message.objects.filter(dispatched_at__isnull=False).exists()

        _redis_start(port, servers, tmp_path)
        assert dispatch(env) == 5
        wait_until(lambda: _all_sent(5), timeout=120, what="the held messages to be sent")
    finally:
        worker_stop(worker)
    counts = Counter(deliveries(log))
    assert set(counts) == {str(message.uuid) for message in messages}
    assert set(counts.values()) == {1}
