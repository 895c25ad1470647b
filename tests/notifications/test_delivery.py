"""The dispatcher and the send of one message: claims, outcomes, retries and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from intake.models import Patient
from kap_clinic.celery import app as celery_app
from kap_clinic.notifications import delivery
from kap_clinic.notifications.channels import message_id_header
from kap_clinic.notifications.errors import TransientDeliveryError
from kap_clinic.notifications.models import Message, MessageStatus
from kap_clinic.notifications.tasks import message_send, messages_send
from tests.notifications.conftest import queue_for

# The dispatcher's own tests: messages are not handed to the broker when they are requested.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatcher_only")]


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ids the dispatcher hands to the broker (recorded instead of sent)."""
    sent: list[int] = []

    def record(name: str, *, args: tuple[list[int]], queue: str, retry: bool) -> None:
        sent.extend(args[0])

    monkeypatch.setattr(celery_app, "send_task", record)
    return sent


def test_the_dispatcher_claims_due_messages_and_enqueues_one_send_each_after_commit(
    patient: Patient,
    example_template: str,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    due = [queue_for(patient, f"due-{n}") for n in range(3)]
    later = queue_for(patient, "later", send_at=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delivery.messages_dispatch() == 3
    assert enqueued == []  # nothing reaches the broker before the claim commits
    for callback in callbacks:
        callback()
    assert sorted(enqueued) == sorted(message.id for message in due)
    for message in due:
        message.refresh_from_db()
        assert message.dispatched_at is not None
        assert message.status == MessageStatus.QUEUED
    later.refresh_from_db()
    assert later.dispatched_at is None


def test_a_message_dispatched_minutes_ago_is_not_dispatched_again_until_the_safety_net(
    patient: Patient,
    example_template: str,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = queue_for(patient, "once")
    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()
        delivery.messages_dispatch()
    assert enqueued == [message.id]
    # Still queued long after its dispatch (the broker lost it): dispatched again.
    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch(now=timezone.now() + delivery.REDISPATCH_AFTER * 2)
    assert enqueued == [message.id, message.id]


def test_a_message_left_sending_by_a_dead_worker_is_claimed_again_after_the_time_limit(
    patient: Patient, example_template: str, enqueued: list[int]
) -> None:
    message = queue_for(patient, "stuck")
    assert delivery.message_claim(message_id=message.id)
    # A live claim is respected...
    assert not delivery.message_claim(message_id=message.id)
    assert delivery.messages_dispatch() == 0
    # ...a claim older than the task time limit is not.
    later = timezone.now() + delivery.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert delivery.messages_dispatch(now=later) == 1
    assert delivery.message_claim(message_id=message.id, now=later)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 2)


def test_a_message_whose_sends_never_finish_fails_after_the_attempt_limit(
    patient: Patient, example_template: str, enqueued: list[int]
) -> None:
    message = queue_for(patient, "crashes")
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENDING,
        attempts=delivery.MAX_ATTEMPTS,
        claimed_at=timezone.now() - delivery.CLAIM_TIMEOUT * 2,
    )
    delivery.messages_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "gave up" in message.last_error


def test_sending_records_the_outcome_and_the_rendered_text(
    patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "ok", channel="email")
    assert message_send.apply(args=(message.id,)).get() == MessageStatus.SENT
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_id == message_id_header(message) == f"<{message.uuid}@localhost>"
    assert message.rendered_subject == "Reminder: your dosing session on Wednesday 10 June"
    # 18:00 UTC is 2 PM in the patient's zone (New York, EDT).
    assert "at 2:00 PM." in message.rendered_body
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient.email]


def test_a_message_sent_twice_is_delivered_once(patient: Patient, example_template: str) -> None:
    message = queue_for(patient, "twice")
    assert message_send.apply(args=(message.id,)).get() == MessageStatus.SENT
    assert message_send.apply(args=(message.id,)).get() == "skipped"
    assert len(mail.outbox) == 1


def test_a_message_moved_to_the_future_after_dispatch_is_not_sent_early(
    patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "moved")
    Message.objects.filter(id=message.id).update(send_at=timezone.now() + timedelta(days=1))
    assert message_send.apply(args=(message.id,)).get() == "skipped"
    assert mail.outbox == []


def test_a_send_for_a_row_that_is_gone_returns_quietly() -> None:
    assert message_send.apply(args=(987654,)).get() == "skipped"


@pytest.mark.parametrize(
    ("fields", "patient_changes", "reason"),
    [
        ({"refs": {"drop": "first_name"}}, {}, "missing template variable 'first_name'"),
        ({"template_key": "no.such_template"}, {}, "unknown template key 'no.such_template'"),
        ({"channel": "pigeon"}, {}, "unknown channel 'pigeon'"),
        ({"channel": "email"}, {"email": "not-an-address"}, "no valid email address"),
        ({"channel": "sms"}, {"mobile": "555-0123"}, "no valid mobile number"),
    ],
)
def test_bad_input_fails_the_message_visibly_at_once_and_others_still_go(
    patient: Patient,
    other_patient: Patient,
    example_template: str,
    fields: dict[str, Any],
    patient_changes: dict[str, str],
    reason: str,
) -> None:
    bad = queue_for(patient, "bad", **fields)
    good = queue_for(other_patient, "good", channel="email")
    Patient.objects.filter(id=patient.id).update(**patient_changes)
    for message in (bad, good):
        message_send.apply(args=(message.id,)).get()
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.attempts) == (MessageStatus.FAILED, 1)
    assert reason in bad.last_error
    assert good.status == MessageStatus.SENT


def test_a_message_to_a_recipient_who_is_gone_fails_with_the_reason(
    patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "gone")
    Message.objects.filter(id=message.id).update(
        recipient_id="00000000-0000-4000-8000-000000000000"
    )
    message_send.apply(args=(message.id,)).get()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.last_error == "the recipient no longer exists"


def test_a_message_whose_subject_is_gone_is_cancelled(
    patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "subject-gone", refs={"gone": "1"})
    message_send.apply(args=(message.id,)).get()
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert mail.outbox == []


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise TransientDeliveryError("the mail server could not be reached (TimeoutError)")


def test_a_transient_error_schedules_the_next_attempt_on_the_row(
    patient: Patient,
    example_template: str,
    monkeypatch: pytest.MonkeyPatch,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(delivery.channel_for("email"), "send", _refuse)
    message = queue_for(patient, "flaky")
    before = timezone.now()
    assert delivery.message_deliver(message_id=message.id) == MessageStatus.QUEUED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "could not be reached" in message.last_error
    assert message.dispatched_at is None
    # 30 s after the first try (policy), half of it jitter.
    assert message.next_attempt_at is not None
    assert before + timedelta(seconds=15) <= message.next_attempt_at
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    # Neither the dispatcher nor a stray task takes it before then...
    assert delivery.messages_dispatch() == 0
    assert delivery.message_deliver(message_id=message.id) == "skipped"
    # ...the dispatcher does once it is due.
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.messages_dispatch(now=message.next_attempt_at) == 1
    assert enqueued == [message.id]


def test_the_retry_schedule_doubles_from_30_seconds_up_to_two_hours_with_jitter() -> None:
    for attempts, full in [(1, 30), (2, 60), (3, 120), (8, 3840), (9, 7200), (20, 7200)]:
        delays = [delivery.retry_delay(attempts).total_seconds() for _ in range(50)]
        assert all(full / 2 <= delay <= full for delay in delays), (attempts, delays)
        assert len(set(delays)) > 1  # jittered


def test_transient_errors_retry_until_the_budget_is_spent_then_fail(
    patient: Patient, example_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery.channel_for("email"), "send", _refuse)
    message = queue_for(patient, "down")
    assert delivery.message_deliver(message_id=message.id) == MessageStatus.QUEUED
    # Nearly a day of retries later (policy budget 24 h): the next wait would pass the budget.
    Message.objects.filter(id=message.id).update(
        first_attempt_at=timezone.now() - timedelta(hours=24) + timedelta(seconds=10),
        next_attempt_at=timezone.now(),
    )
    assert delivery.message_deliver(message_id=message.id) == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 2
    assert message.next_attempt_at is None
    assert "could not be reached" in message.last_error


def test_the_send_task_retries_a_database_error_and_takes_its_own_claim_back(
    patient: Patient, example_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = queue_for(patient, "db-restart", channel="email")
    real_resolve = delivery.recipient_resolve
    failures = [OperationalError("server closed the connection unexpectedly")]

    def resolve_once_broken(*args: Any) -> Any:
        if failures:
            raise failures.pop()
        return real_resolve(*args)

    monkeypatch.setattr(delivery, "recipient_resolve", resolve_once_broken)
    # Eager apply runs the declared retry at once; the claim made before the error is the task's
    # own, so the retry sends without waiting for the claim timeout.
    messages_send.apply(args=([message.id],))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert failures == []
    assert len(mail.outbox) == 1


def test_the_send_tasks_declare_a_short_database_retry_and_no_delivery_retry() -> None:
    for task in (message_send, messages_send):
        assert task.autoretry_for == (OperationalError, InterfaceError)
        assert task.retry_jitter is True
        # Short countdowns only: the outbox row, not the broker, holds messages for later.
        assert task.retry_backoff_max <= 10
        assert TransientDeliveryError not in task.autoretry_for


def test_the_beat_schedule_runs_the_dispatcher_every_minute_and_the_digest() -> None:
    from kap_clinic.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["notifications-dispatch"]["task"] == "notifications.messages_dispatch"
    assert schedule["notifications-dispatch"]["schedule"] == 60.0
    assert schedule["notifications-daily-digest"]["task"] == "notifications.daily_digests_queue"
    assert set(app.tasks) >= {
        "notifications.messages_dispatch",
        "notifications.message_send",
        "notifications.daily_digests_queue",
    }


@pytest.mark.django_db(transaction=True)
def test_when_the_broker_refuses_the_dispatcher_stops_and_leaves_messages_due_for_its_next_run(
    patient: Patient, example_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    def refuse(name: str, *, args: tuple[list[int]], queue: str, retry: bool) -> None:
        attempts.append(args[0][0])
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", refuse)
    for number in range(3):
        queue_for(patient, f"held-{number}")
    # Real commits (a transactional test): the enqueue runs when each batch commits.
    assert delivery.messages_dispatch(batch_size=2) == 2  # the second batch is not taken
    assert len(attempts) == 1  # no connection timeout per message
    assert not Message.objects.filter(dispatched_at__isnull=False).exists()
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 3
