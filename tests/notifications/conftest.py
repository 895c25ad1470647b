"""Fixtures of the notifications tests: an example template key with a context builder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.notifications.content import context_builder_register, context_builder_unregister
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.services import message_request

EXAMPLE = "example.appointment_reminder"
# 14:00 in New York on a summer day.
APPOINTMENT_START = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def example_context(message: Message) -> dict[str, Any] | None:
    if message.refs.get("gone"):
        return None
    context: dict[str, Any] = {
        "first_name": "Alex",
        "appointment_kind": "dosing session",
        "starts_at": APPOINTMENT_START,
        "calendar_event": {
            "uid": f"appointment-{message.refs.get('appointment', 'x')}",
            "start": APPOINTMENT_START,
            "end": APPOINTMENT_START + timedelta(hours=3),
            "summary": "Dosing session, Harbour Street Clinic",
            "location": "1 Harbour Street, Room 2; ring the bell",
            "description": "Bring your escort's phone number, please.",
        },
    }
    if message.refs.get("drop"):
        context.pop(message.refs["drop"])
    return context


@pytest.fixture
def dispatcher_only(settings: Any) -> None:
    """Messages wait for the dispatcher instead of being handed to the broker on commit."""
    settings.MESSAGE_ENQUEUE_ON_COMMIT = False


@pytest.fixture
def example_template() -> Iterator[str]:
    context_builder_register(EXAMPLE, example_context)
    yield EXAMPLE
    context_builder_unregister(EXAMPLE)


def queue_for(patient: Patient, key: str, *, channel: str | None = None, **fields: Any) -> Message:
    """A due message to ``patient`` (urgent, so quiet hours do not move it)."""
    message = message_request(
        recipient=patient_recipient(patient),
        template_key=fields.pop("template_key", EXAMPLE),
        idempotency_key=key,
        channel=channel,
        urgent=fields.pop("urgent", True),
        essential=fields.pop("essential", False),
        refs=fields.pop("refs", {"appointment": "a1"}),
        send_at=fields.pop("send_at", None),
    )
    assert message is not None
    return message
