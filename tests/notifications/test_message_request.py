from datetime import UTC, datetime

import pytest
from django.db import transaction

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Channel, Message, MessageStatus
from kap_clinic.notifications.policy import outside_quiet_hours
from kap_clinic.notifications.recipients import Recipient, recipient_for_user
from kap_clinic.notifications.services import message_request, messages_cancel

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


def _recipient(**overrides: object) -> Recipient:
    fields: dict[str, object] = {
        "kind": "patient",
        "id": "7b0c1a52-0000-4000-8000-000000000001",
        "email": "someone@example.org",
        "time_zone": NEW_YORK,
    }
    fields.update(overrides)
    return Recipient(**fields)  # type: ignore[arg-type]


def test_asking_twice_with_one_idempotency_key_queues_one_message() -> None:
    send_at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)  # 11:00 in New York
    first = message_request(
        recipient=_recipient(), template_key="t", idempotency_key="k1", send_at=send_at
    )
    second = message_request(
        recipient=_recipient(), template_key="t", idempotency_key="k1", send_at=send_at
    )
    assert first == second
    assert Message.objects.count() == 1
    assert first is not None
    assert (first.status, first.channel, first.send_at) == (
        MessageStatus.QUEUED,
        Channel.EMAIL,
        send_at,
    )


def test_a_message_requested_in_a_transaction_that_rolls_back_is_never_queued() -> None:
    def book_and_fail() -> None:
        with transaction.atomic():
            message_request(recipient=_recipient(), template_key="t", idempotency_key="k2")
            raise RuntimeError("the booking failed")

    with pytest.raises(RuntimeError):
        book_and_fail()
    assert not Message.objects.exists()


def test_opted_out_recipients_get_only_essential_messages() -> None:
    opted_out = _recipient(opted_out=True)
    assert message_request(recipient=opted_out, template_key="t", idempotency_key="a") is None
    assert message_request(
        recipient=opted_out, template_key="t", idempotency_key="b", essential=True
    )
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("utc", "expected_utc"),
    [
        # 22:30 New York (EDT, UTC-4) is quiet: held to 08:00 the next morning.
        (datetime(2026, 6, 2, 2, 30, tzinfo=UTC), datetime(2026, 6, 2, 12, 0, tzinfo=UTC)),
        # 06:00 New York is quiet: held to 08:00 the same morning.
        (datetime(2026, 6, 2, 10, 0, tzinfo=UTC), datetime(2026, 6, 2, 12, 0, tzinfo=UTC)),
        # 20:59 is not quiet.
        (datetime(2026, 6, 3, 0, 59, tzinfo=UTC), datetime(2026, 6, 3, 0, 59, tzinfo=UTC)),
        # Across the autumn change: 23:00 EDT on 31 Oct is held to 08:00 on 1 Nov, after the
        # clocks fell back at 02:00, so 08:00 EST (UTC-5) = 13:00 UTC.
        (datetime(2026, 11, 1, 3, 0, tzinfo=UTC), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_hold_messages_until_morning_in_the_patients_zone(
    utc: datetime, expected_utc: datetime
) -> None:
    assert outside_quiet_hours(utc, time_zone=NEW_YORK) == expected_utc


def test_urgent_messages_ignore_quiet_hours() -> None:
    night = datetime(2026, 6, 2, 2, 30, tzinfo=UTC)
    message = message_request(
        recipient=_recipient(), template_key="t", idempotency_key="u", send_at=night, urgent=True
    )
    assert message is not None
    assert message.send_at == night


def test_cancelling_a_subject_cancels_only_its_pending_messages(therapist: User) -> None:
    for key in ("x1", "x2"):
        message_request(
            recipient=recipient_for_user(therapist),
            template_key="t",
            idempotency_key=key,
            subject_key="appointment:1",
        )
    other = message_request(
        recipient=recipient_for_user(therapist),
        template_key="t",
        idempotency_key="y",
        subject_key="appointment:2",
    )
    Message.objects.filter(idempotency_key="x2").update(status=MessageStatus.SENT)
    assert messages_cancel(subject_key="appointment:1") == 1
    assert Message.objects.get(idempotency_key="x1").status == MessageStatus.CANCELLED
    assert Message.objects.get(idempotency_key="x2").status == MessageStatus.SENT
    assert other is not None
    other.refresh_from_db()
    assert other.status == MessageStatus.QUEUED


def test_a_patient_resolves_to_their_current_contact_details(patient: Patient) -> None:
    from intake.messaging import PATIENT_KIND, patient_recipient
    from kap_clinic.notifications.recipients import recipient_resolve

    patient.mobile = "+15555550123"
    patient.save()
    resolved = recipient_resolve(PATIENT_KIND, str(patient.uuid))
    assert resolved == patient_recipient(patient)
    assert resolved is not None
    assert (resolved.email, resolved.mobile, resolved.user) == (
        patient.email,
        "+15555550123",
        patient.user,
    )
    assert recipient_resolve(PATIENT_KIND, "00000000-0000-4000-8000-000000000000") is None
