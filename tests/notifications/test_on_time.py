"""Messages on time through backlogs and outages, with real workers, Redis and PostgreSQL: urgent
messages jump a bulk backlog, a mail outage ends with every message delivered, a message sent again
after a crash keeps its Message-ID and waits no longer than the claim timeout, quiet hours hold at
send time, and a database restart mid-batch costs seconds, not the claim timeout."""

from __future__ import annotations

import email
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.channels import message_id_header
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.services import SAFETY_ALERT
from tests.conftest import PROJECT_ROOT
from tests.notifications.worker_support import (
    child_env,
    deliveries,
    dispatch,
    dispatcher_loop_start,
    free_port,
    isolated_redis_url,
    request_in_child,
    wait_until,
    worker_start,
    worker_stop,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dispatcher_only", "flush_isolated_redis"),
]


@pytest.fixture
def flush_isolated_redis() -> Iterator[None]:
    client = redis.Redis.from_url(isolated_redis_url())
    client.flushdb()
    yield
    client.flushdb()
    client.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes (workers, dispatcher loops) the test starts; stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        worker_stop(process)


def _bulk(user: User, count: int, *, prefix: str, **fields: Any) -> list[Message]:
    """Due messages written straight to the outbox (as a day's reminders would be)."""
    now = timezone.now()
    return Message.objects.bulk_create(
        Message(
            recipient_kind="user",
            recipient_id=str(user.uuid),
            recipient_user=user,
            channel=Channel.EMAIL,
            template_key=SAFETY_ALERT,
            refs={"path": "/"},
            send_at=now,
            idempotency_key=f"{prefix}-{number}",
            **fields,
        )
        for number in range(count)
    )


def _count(**filters: Any) -> int:
    return Message.objects.filter(**filters).count()


def test_an_urgent_message_goes_out_within_seconds_past_a_bulk_backlog(
    tmp_path: Path, therapist: User, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "deliveries.log"
    # A mail server that takes 50 ms a message: 400 bulk messages (8 tasks of 50) are about 10 s
    # of work for the worker's two processes.
    env = child_env(redis_url=isolated_redis_url(), delivery_log=log, KAP_TEST_SEND_SECONDS="0.05")
    backlog = _bulk(therapist, 400, prefix="bulk")
    assert dispatch(env) == len(backlog)  # every bulk send is in the broker before the alert
    processes.append(worker_start(env, name="backlog", pool="prefork", concurrency=2))
    wait_until(lambda: _count(status=MessageStatus.SENT) >= 1, timeout=60, what="bulk sends")

    # The web process requests a safety alert; it is enqueued when its transaction commits.
    (alert_id,) = request_in_child(env, user_uuid=str(therapist.uuid), prefix="alert", urgent=True)
    wait_until(
        lambda: _count(id=alert_id, status=MessageStatus.SENT) == 1, timeout=30, what="alert"
    )
    alert = Message.objects.get(id=alert_id)
    assert alert.sent_at is not None
    assert alert.dispatched_at is not None  # the on-commit path, not the dispatcher
    assert alert.sent_at - alert.created_at < timedelta(seconds=10)
    # It jumped the queue: bulk sends enqueued before it were still waiting when it went out (in
    # one queue, only the two tasks in progress could have finished after it).
    wait_until(
        lambda: _count(status=MessageStatus.SENT) == len(backlog) + 1,
        timeout=60,
        what="the backlog to drain",
    )
    assert _count(id__in=[m.id for m in backlog], sent_at__gt=alert.sent_at) >= 100


class _Inbox:
    """What the test's SMTP server received: Message-ID header per X-KAP-Message."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content)
        with self.lock:
            self.received.append((str(parsed["X-KAP-Message"]), str(parsed["Message-ID"])))
        return "250 OK"


def test_a_mail_outage_ends_with_every_message_delivered_and_none_failed(
    tmp_path: Path, therapist: User, processes: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    inbox = _Inbox()
    # The policy schedule shortened (first retry after 1 s, at most 2 s apart) so the outage of
    # a few seconds here stands for one of minutes: several retries fall inside it.
    env = child_env(
        redis_url=isolated_redis_url(),
        delivery_log=tmp_path / "unused.log",
        KAP_TEST_SMTP="1",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        MESSAGE_RETRY_FIRST_SECONDS="1",
        MESSAGE_RETRY_MAX_SECONDS="2",
    )
    messages = _bulk(therapist, 60, prefix="outage", essential=True)
    processes.append(worker_start(env, name="outage", pool="prefork", concurrency=2))
    processes.append(dispatcher_loop_start(env, interval=0.5))
    # The mail server is down: every message fails its first tries and is scheduled again.
    wait_until(
        lambda: _count(attempts__gte=3, status=MessageStatus.QUEUED) == len(messages),
        timeout=60,
        what="every message to be retried twice",
    )
    assert _count(status=MessageStatus.FAILED) == 0
    assert _count(next_attempt_at__isnull=False) == len(messages)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wait_until(
            lambda: _count(status=MessageStatus.SENT) == len(messages),
            timeout=60,
            what="every message to be delivered after the outage",
        )
    finally:
        controller.stop()
    assert _count(status=MessageStatus.FAILED) == 0
    counts = Counter(kap_id for kap_id, _ in inbox.received)
    assert set(counts) == {str(message.uuid) for message in messages}
    assert set(counts.values()) == {1}


def test_a_message_sent_again_after_a_crash_keeps_its_message_id_and_waits_only_the_claim_timeout(
    tmp_path: Path, therapist: User, processes: list[subprocess.Popen[bytes]]
) -> None:
    claim_timeout = 5
    log = tmp_path / "deliveries.log"
    header_log = tmp_path / "message-ids.log"
    fifo = tmp_path / "sent.fifo"
    os.mkfifo(fifo)
    common = {
        "KAP_TEST_MESSAGE_ID_LOG": str(header_log),
        "MESSAGE_CLAIM_TIMEOUT_SECONDS": str(claim_timeout),
    }
    env = child_env(redis_url=isolated_redis_url(), delivery_log=log, **common)
    announced: list[str] = []
    listener = threading.Thread(
        target=lambda: announced.append(fifo.open().readline().strip()), daemon=True
    )
    listener.start()
    doomed_env = child_env(
        redis_url=isolated_redis_url(),
        delivery_log=log,
        KAP_TEST_HANG_AFTER_SEND_FIFO=str(fifo),
        **common,
    )
    doomed = worker_start(doomed_env, name="doomed")
    processes.append(doomed)
    first, second = _bulk(therapist, 2, prefix="crash", urgent=True, essential=True)
    processes.append(dispatcher_loop_start(env, interval=0.5))
    listener.join(timeout=60)  # the mail server accepted the first; the worker hangs after it
    if listener.is_alive():
        with fifo.open("w"):
            pass
    assert announced == [f"sent {first.uuid}"]
    # Another worker is up (as in production), then the first one is killed mid-task.
    processes.append(worker_start(env, name="survivor"))
    doomed.kill()
    doomed.wait(timeout=20)
    killed_at = timezone.now()
    wait_until(lambda: _count(status=MessageStatus.SENT) == 2, timeout=60, what="both sent")
    first.refresh_from_db()
    second.refresh_from_db()
    # Neither waited for the broker's old one-hour visibility timeout: the first was claimed
    # again after the claim timeout, the second (held unacknowledged or queued) went meanwhile.
    slack = timedelta(seconds=3)  # the dispatcher's interval, a busy machine
    for message in (first, second):
        assert message.sent_at is not None
        assert message.sent_at - killed_at < timedelta(seconds=claim_timeout) + slack
    assert first.attempts == 2
    # The copy the mail server got twice has one Message-ID: mail clients show it once.
    headers = [line.split(" ", 1) for line in header_log.read_text().splitlines()]
    first_headers = [header for kap_id, header in headers if kap_id == str(first.uuid)]
    assert first_headers == [message_id_header(first)] * 2
    assert Counter(deliveries(log)) == {str(first.uuid): 2, str(second.uuid): 1}


def _quiet_window_around_now(zone: str) -> tuple[str, str, datetime]:
    """Quiet hours from an hour ago to an hour from now in ``zone``, and when they end."""
    local = timezone.now().astimezone(ZoneInfo(zone))
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end_local = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    return start, end_local.strftime("%H:%M"), end_local


def test_quiet_hours_are_checked_again_when_the_message_is_sent(
    tmp_path: Path, patient: Patient, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "deliveries.log"
    # Requested before the quiet hours (e.g. held up by an outage), sent during them.
    start, end, morning = _quiet_window_around_now(patient.time_zone or settings.TIME_ZONE)
    env = child_env(
        redis_url=isolated_redis_url(),
        delivery_log=log,
        QUIET_HOURS_START=start,
        QUIET_HOURS_END=end,
    )
    common = {
        "recipient_kind": "patient",
        "recipient_id": str(patient.uuid),
        "recipient_user": patient.user,
        "channel": Channel.EMAIL,
        "template_key": SAFETY_ALERT,
        "refs": {"path": "/"},
        "send_at": timezone.now(),
        "essential": True,
    }
    reminder = Message.objects.create(idempotency_key="night-reminder", **common)
    alert = Message.objects.create(idempotency_key="night-alert", urgent=True, **common)
    processes.append(worker_start(env, name="night"))
    assert dispatch(env) == 2
    wait_until(
        lambda: (
            _count(id=reminder.id, next_attempt_at__isnull=False) == 1
            and _count(id=alert.id, status=MessageStatus.SENT) == 1
        ),
        timeout=60,
        what="the reminder to be held and the alert sent",
    )
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.QUEUED
    assert reminder.next_attempt_at == morning
    assert (reminder.attempts, reminder.dispatched_at) == (0, None)
    assert deliveries(log) == [str(alert.uuid)]  # urgent messages are not held


def _postgres_restart() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (data_directory,) = cursor.fetchone()
    connection.close()
    state = Path(os.environ.get("TEST_SERVICES_DIR", PROJECT_ROOT / "var" / "test-services"))
    pgbin = (PROJECT_ROOT / state / "pgbin").read_text().strip()
    log = Path(data_directory).parent / "postgres.log"
    command = [f"{pgbin}/pg_ctl", "-D", data_directory, "-l", str(log), "-m", "fast", "-w"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    # No pipes: the server inherits them, and would hold them open.
    subprocess.run(
        [*command, "restart"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=90,
    )


def test_a_database_restart_mid_batch_costs_seconds_not_the_claim_timeout(
    tmp_path: Path, therapist: User, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "deliveries.log"
    env = child_env(redis_url=isolated_redis_url(), delivery_log=log, KAP_TEST_SEND_SECONDS="0.02")
    messages = _bulk(therapist, 300, prefix="restart")
    assert dispatch(env) == len(messages)
    # No dispatcher runs from here on: only the tasks' own retries can finish the batch.
    processes.append(worker_start(env, name="restart", pool="prefork", concurrency=2))
    wait_until(lambda: _count(status=MessageStatus.SENT) >= 30, timeout=60, what="some sends")
    started = time.monotonic()
    _postgres_restart()
    wait_until(
        lambda: _count(status=MessageStatus.SENT) == len(messages),
        timeout=150,
        what="every message to be sent after the restart",
    )
    # Well under the claim timeout (180 s) and the dispatcher's old 5-minute redispatch.
    assert time.monotonic() - started < 60
    assert _count(status=MessageStatus.FAILED) == 0
    assert set(deliveries(log)) == {str(message.uuid) for message in messages}
