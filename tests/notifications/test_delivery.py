"""The dispatcher and the send of one message: claims, outcomes, retries and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from intake.models import Patient
from kap_clinic.notifications import delivery
from kap_clinic.notifications.errors import TransientDeliveryError
from kap_clinic.notifications.models import Message, MessageStatus
from kap_clinic.notifications.tasks import message_send
from tests.notifications.conftest import queue_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ids the dispatcher hands to the broker (recorded instead of sent)."""
    sent: list[int] = []

    def record(*, args: tuple[int], retry: bool) -> None:
        sent.append(args[0])

    monkeypatch.setattr(message_send, "apply_async", record)
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
    assert message.provider_id.startswith(f"<{message.uuid}.")
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


def test_a_transient_error_puts_the_message_back_for_a_retry(
    patient: Patient, example_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise TransientDeliveryError("the mail server could not be reached (TimeoutError)")

    monkeypatch.setattr(delivery.channel_for("email"), "send", refuse)
    message = queue_for(patient, "flaky")
    with pytest.raises(TransientDeliveryError):
        delivery.message_deliver(message_id=message.id)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "could not be reached" in message.last_error


def test_transient_errors_retry_with_backoff_up_to_the_limit_then_fail(
    patient: Patient, example_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise TransientDeliveryError("the mail server could not be reached (TimeoutError)")

    monkeypatch.setattr(delivery.channel_for("email"), "send", refuse)
    message = queue_for(patient, "down")
    # Eager apply runs the declared retries one after another, without their countdowns.
    message_send.apply(args=(message.id,))
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == delivery.MAX_ATTEMPTS
    assert "could not be reached" in message.last_error


def test_the_send_task_declares_its_retry_policy() -> None:
    assert message_send.autoretry_for == (TransientDeliveryError,)
    assert message_send.retry_backoff is True
    assert message_send.retry_jitter is True
    assert message_send.max_retries == delivery.MAX_RETRIES
    # Short countdowns only: the outbox, not the broker, holds messages for later.
    assert message_send.retry_backoff_max <= 60


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

    def refuse(*, args: tuple[int], retry: bool) -> None:
        attempts.append(args[0])
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(message_send, "apply_async", refuse)
    for number in range(3):
        queue_for(patient, f"held-{number}")
    # Real commits (a transactional test): the enqueue runs when each batch commits.
    assert delivery.messages_dispatch(batch_size=2) == 2  # the second batch is not taken
    assert len(attempts) == 1  # no connection timeout per message
    assert not Message.objects.filter(dispatched_at__isnull=False).exists()
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 3
