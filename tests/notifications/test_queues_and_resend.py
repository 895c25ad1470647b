"""Queues and the on-commit path, the stable Message-ID and SMS idempotency key, quiet hours at send
time, and the bulk resend of failed messages from the message log."""

from __future__ import annotations

import ast
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.celery import QUEUES, app
from kap_clinic.notifications import delivery
from kap_clinic.notifications.channels import sms_idempotency_key
from kap_clinic.notifications.enqueue import SEND_MANY_TASK
from kap_clinic.notifications.models import Message, MessageStatus
from tests.conftest import PROJECT_ROOT
from tests.factories import TEST_PASSWORD
from tests.notifications.conftest import queue_for

pytestmark = pytest.mark.django_db

Sent = list[tuple[str, list[int], str]]


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """What reaches the broker: (task name, ids, queue), recorded instead of sent."""
    sent: Sent = []

    def record(name: str, *, args: tuple[list[int]], queue: str, retry: bool) -> None:
        sent.append((name, list(args[0]), queue))

    monkeypatch.setattr(app, "send_task", record)
    return sent


# --- queues and the on-commit path --------------------------------------------------------------
def test_workers_take_the_urgent_queue_first_and_the_dispatcher_has_its_own() -> None:
    assert QUEUES == ("urgent", "dispatch", "default", "bulk")
    assert [queue.name for queue in app.conf.task_queues] == list(QUEUES)
    assert app.conf.broker_transport_options["queue_order_strategy"] == "priority"
    route = app.amqp.router.route({}, "notifications.messages_dispatch")
    assert route["queue"].name == "dispatch"
    # A killed worker's task comes back after the claim timeout, not an hour later.
    assert app.conf.broker_transport_options["visibility_timeout"] == (
        delivery.CLAIM_TIMEOUT.total_seconds()
    )
    assert delivery.REDISPATCH_AFTER == delivery.CLAIM_TIMEOUT
    assert delivery.CLAIM_TIMEOUT.total_seconds() > app.conf.task_time_limit


@pytest.mark.parametrize(
    ("fields", "queue"),
    [
        ({"urgent": True, "essential": True}, "urgent"),
        ({"urgent": False, "essential": True}, "default"),
        ({"urgent": False, "essential": False}, "bulk"),
    ],
)
def test_a_message_due_now_goes_to_its_queue_when_the_transaction_commits(
    patient: Patient,
    example_template: str,
    broker: Sent,
    django_capture_on_commit_callbacks: Any,
    fields: dict[str, bool],
    queue: str,
) -> None:
    with override_settings(QUIET_HOURS_START=time(0), QUIET_HOURS_END=time(0)):  # never quiet
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = queue_for(patient, "now", **fields)
        assert broker == []  # nothing before the commit
        for callback in callbacks:
            callback()
    assert broker == [(SEND_MANY_TASK, [message.id], queue)]
    message.refresh_from_db()
    assert message.dispatched_at is not None  # the dispatcher leaves it to the on-commit send
    assert delivery.messages_dispatch() == 0


def test_a_message_for_later_waits_for_the_dispatcher(
    patient: Patient, example_template: str, broker: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_for(patient, "later", send_at=timezone.now() + timedelta(hours=1))
    assert broker == []
    message.refresh_from_db()
    assert message.dispatched_at is None


def test_when_the_broker_is_down_at_commit_the_message_is_left_to_the_dispatcher(
    patient: Patient,
    example_template: str,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_for(patient, "broker-down")
    message.refresh_from_db()
    assert (message.status, message.dispatched_at) == (MessageStatus.QUEUED, None)


def test_the_dispatcher_sends_urgent_messages_one_per_task_and_the_others_in_groups(
    patient: Patient,
    example_template: str,
    broker: Sent,
    dispatcher_only: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    urgent = [queue_for(patient, f"u{n}") for n in range(3)]
    essential = [queue_for(patient, f"e{n}", urgent=False, essential=True) for n in range(25)]
    bulk = [queue_for(patient, f"b{n}", urgent=False) for n in range(60)]
    # Back-dated, so quiet hours at request time never moved them.
    Message.objects.update(send_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.messages_dispatch() == 88
    shapes = [(queue, len(ids)) for _, ids, queue in broker]
    assert shapes == [("urgent", 1)] * 3 + [("default", 20), ("default", 5)] + [
        ("bulk", 50),
        ("bulk", 10),
    ]
    every = {pk for _, ids, _ in broker for pk in ids}
    assert every == {message.id for message in urgent + essential + bulk}


# --- stable ids ---------------------------------------------------------------------------------
def test_a_message_sent_again_carries_the_same_message_id(
    patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "again", channel="email")
    assert delivery.message_deliver(message_id=message.id) == MessageStatus.SENT
    # A crash after the mail server accepted it: the row is taken and sent again.
    Message.objects.filter(id=message.id).update(status=MessageStatus.QUEUED)
    assert delivery.message_deliver(message_id=message.id) == MessageStatus.SENT
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == f"<{message.uuid}@localhost>"


class DeduplicatingGateway:
    """An SMS gateway that honours an idempotency key."""

    accepts_idempotency_key = True
    keys: list[str] = []

    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> str:
        self.keys.append(idempotency_key)
        return f"gw-{len(self.keys)}"


def test_an_sms_gateway_that_deduplicates_gets_the_same_key_on_every_send(
    patient: Patient, example_template: str
) -> None:
    Patient.objects.filter(id=patient.id).update(mobile="+15555550123")
    message = queue_for(patient, "sms-again", channel="sms")
    DeduplicatingGateway.keys = []
    gateway = f"{__name__}.DeduplicatingGateway"
    with override_settings(SMS_BACKEND=gateway):
        assert delivery.message_deliver(message_id=message.id) == MessageStatus.SENT
        Message.objects.filter(id=message.id).update(status=MessageStatus.QUEUED)
        assert delivery.message_deliver(message_id=message.id) == MessageStatus.SENT
    assert DeduplicatingGateway.keys == [sms_idempotency_key(message)] * 2


# --- quiet hours at send time -------------------------------------------------------------------
def test_a_message_due_in_the_recipients_quiet_hours_is_held_until_they_end(
    patient: Patient, example_template: str, settings: Any
) -> None:
    reminder = queue_for(patient, "night", urgent=False, essential=True)
    alert = queue_for(patient, "night-alert", urgent=True)
    zone = ZoneInfo(patient.time_zone or settings.TIME_ZONE)
    local = timezone.now().astimezone(zone)
    end = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    # The quiet hours started after the message was requested (or an outage delayed it).
    settings.QUIET_HOURS_START = (local - timedelta(hours=1)).time().replace(second=0)
    settings.QUIET_HOURS_END = end.time()
    Message.objects.filter(id=reminder.id).update(send_at=timezone.now())
    assert delivery.message_deliver(message_id=reminder.id) == MessageStatus.QUEUED
    assert delivery.message_deliver(message_id=alert.id) == MessageStatus.SENT
    reminder.refresh_from_db()
    assert reminder.next_attempt_at == datetime.combine(end.date(), end.time(), tzinfo=zone)
    assert (reminder.attempts, reminder.dispatched_at) == (0, None)
    assert len(mail.outbox) == 1


# --- the message log: next attempt, bulk resend -------------------------------------------------
def _signed_in(client: Client, user: User) -> Client:
    assert client.login(email=user.email, password=TEST_PASSWORD)
    return client


def test_the_log_shows_when_a_message_will_be_tried_again(
    client: Client, front_desk: User, patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "retrying")
    Message.objects.filter(id=message.id).update(
        attempts=2,
        last_error="the mail server could not be reached (ConnectionRefusedError)",
        next_attempt_at=timezone.now() + timedelta(days=3),
    )
    page = _signed_in(client, front_desk).get(reverse("notifications:message_log")).content
    assert "Next attempt" in page.decode()


def _failed(patient: Patient, key: str, template_key: str) -> Message:
    message = queue_for(patient, key, template_key=template_key)
    Message.objects.filter(id=message.id).update(status=MessageStatus.FAILED, last_error="x")
    return message


def test_the_front_desk_resends_every_failed_message_matching_the_filter_once(
    client: Client, front_desk: User, patient: Patient, example_template: str
) -> None:
    reminders = [_failed(patient, f"r{n}", example_template) for n in range(3)]
    other = _failed(patient, "other", "safety.alert")
    _signed_in(client, front_desk)
    page = client.get(reverse("notifications:message_log"), {"template": example_template})
    assert "Resend all failed messages matching this filter" in page.content.decode()
    url = reverse("notifications:resend_failed")
    response = client.post(url, {"template": example_template}, follow=True)
    assert "3 failed messages queued again." in response.content.decode()
    resent = Message.objects.filter(resent_from__isnull=False)
    assert {message.resent_from_id for message in resent} == {m.id for m in reminders}
    assert not Message.objects.filter(resent_from=other).exists()
    assert set(resent.values_list("status", flat=True)) == {MessageStatus.QUEUED}
    assert (
        AuditEvent.objects.filter(
            object_id__in=[str(m.uuid) for m in resent], action="create", actor=front_desk
        ).count()
        == 3
    )
    # Again: nothing left to resend.
    response = client.post(url, {"template": example_template}, follow=True)
    assert "No failed message to resend." in response.content.decode()
    assert Message.objects.filter(resent_from__isnull=False).count() == 3


def test_a_therapist_cannot_resend_in_bulk(
    client: Client, therapist: User, patient: Patient, example_template: str
) -> None:
    failed = _failed(patient, "f", example_template)
    response = _signed_in(client, therapist).post(reverse("notifications:resend_failed"))
    assert response.status_code == 403
    assert not Message.objects.filter(resent_from=failed).exists()


# --- imports ------------------------------------------------------------------------------------
def _imports(module: str) -> set[str]:
    """Every module ``kap_clinic/notifications/<module>.py`` imports, at any depth of its code."""
    source = (PROJECT_ROOT / "kap_clinic" / "notifications" / f"{module}.py").read_text()
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_imports_run_one_way_from_tasks_to_delivery_and_never_back() -> None:
    tasks = "kap_clinic.notifications.tasks"
    assert "kap_clinic.notifications.delivery" in _imports("tasks")
    for module in ("delivery", "services", "enqueue", "channels"):
        assert tasks not in _imports(module), module
    assert "kap_clinic.notifications.delivery" not in _imports("enqueue")
