"""Preferences applied by message_request and at send time; the urgent safety alert; the daily
digest from registered sections; articles offered by the timeline steps they are attached to;
every shipped template renders with no missing variable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.emergency import EMERGENCY_ACCESS_MESSAGE, emergency_access_grant
from kap_clinic.notifications.content import context_builders, message_render
from kap_clinic.notifications.digest import (
    DigestSection,
    daily_digests_queue,
    digest_section_register,
    digest_section_unregister,
)
from kap_clinic.notifications.models import Article, Channel, Message, MessageStatus
from kap_clinic.notifications.services import (
    DAILY_DIGEST,
    SAFETY_ALERT,
    contact_preference_set,
    message_request,
    safety_alert_request,
)
from kap_clinic.notifications.tasks import message_send
from tests.notifications.conftest import queue_for

pytestmark = pytest.mark.django_db

MIDDAY = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


def _request(patient: Patient, key: str, **fields: object) -> Message | None:
    return message_request(
        recipient=patient_recipient(patient),
        template_key="example.appointment_reminder",
        idempotency_key=key,
        send_at=MIDDAY,
        **fields,  # type: ignore[arg-type]
    )


# --- preferences --------------------------------------------------------------------------------
def test_a_patients_preferred_channel_is_used_when_it_can_reach_them(patient: Patient) -> None:
    contact_preference_set(
        recipient_kind="patient", recipient_id=str(patient.uuid), channel=Channel.SMS
    )
    without_mobile = _request(patient, "a")
    assert without_mobile is not None
    assert without_mobile.channel == Channel.EMAIL  # no mobile number yet: email instead
    Patient.objects.filter(id=patient.id).update(mobile="+15555550123")
    patient.refresh_from_db()
    with_mobile = _request(patient, "b")
    assert with_mobile is not None
    assert with_mobile.channel == Channel.SMS
    explicit = _request(patient, "c", channel=Channel.PORTAL)
    assert explicit is not None
    assert explicit.channel == Channel.PORTAL


def test_an_unknown_channel_preference_is_refused(patient: Patient) -> None:
    with pytest.raises(ValidationError):
        contact_preference_set(
            recipient_kind="patient", recipient_id=str(patient.uuid), channel="fax"
        )


def test_opting_out_after_a_message_was_queued_cancels_it_at_send_time(
    patient: Patient, example_template: str
) -> None:
    optional = _request(patient, "optional")
    needed = _request(patient, "needed", essential=True)
    assert optional is not None
    assert needed is not None
    # Set behind the service's back, as if another process opted out between queue and send.
    from kap_clinic.notifications.models import ContactPreference

    ContactPreference.objects.create(
        recipient_kind="patient", recipient_id=str(patient.uuid), opted_out=True
    )
    message_send.apply(args=(optional.id,)).get()
    message_send.apply(args=(needed.id,)).get()
    optional.refresh_from_db()
    needed.refresh_from_db()
    assert optional.status == MessageStatus.CANCELLED
    assert needed.status == MessageStatus.SENT


# --- safety alert -------------------------------------------------------------------------------
def test_a_safety_alert_goes_at_once_by_email_and_portal_to_each_staff_user(
    patient: Patient, prescriber: User, therapist: User
) -> None:
    night = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # 23:00 in New York: quiet hours
    messages = safety_alert_request(
        staff_users=[prescriber, therapist],
        refs={"patient": str(patient.uuid), "path": f"/patients/{patient.uuid}/"},
        idempotency_key="finding:1",
    )
    again = safety_alert_request(
        staff_users=[prescriber, therapist],
        refs={"patient": str(patient.uuid)},
        idempotency_key="finding:1",
    )
    assert {message.id for message in again} == {message.id for message in messages}
    assert len(messages) == 4
    assert {(m.recipient_user, m.channel) for m in messages} == {
        (prescriber, Channel.EMAIL),
        (prescriber, Channel.PORTAL),
        (therapist, Channel.EMAIL),
        (therapist, Channel.PORTAL),
    }
    assert all(m.urgent and m.essential and m.template_key == SAFETY_ALERT for m in messages)
    # Opting out does not silence a safety alert.
    contact_preference_set(recipient_kind="user", recipient_id=str(prescriber.uuid), opted_out=True)
    for message in messages:
        message_send.apply(args=(message.id,)).get()
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 4
    assert len(mail.outbox) == 2
    assert f"/patients/{patient.uuid}/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Urgent: a safety finding needs review"
    assert night  # urgent messages are never held: see test_urgent_messages_ignore_quiet_hours


def test_safety_alerts_go_to_staff_only(patient_user: User) -> None:
    with pytest.raises(ValidationError):
        safety_alert_request(staff_users=[patient_user], refs={}, idempotency_key="f")


# --- daily digest -------------------------------------------------------------------------------
@pytest.fixture
def todays_sessions_section() -> Iterator[None]:
    def items(user: User, day: date) -> list[str]:
        return [f"09:00 Preparation session for {user.full_name}'s patient P-1 on {day:%d %b}"]

    digest_section_register(
        DigestSection(key="test.sessions", title="Today's sessions", items=items)
    )
    yield
    digest_section_unregister("test.sessions")


def test_the_digest_is_queued_once_per_clinician_from_seven_in_the_clinics_zone(
    prescriber: User, therapist: User, front_desk: User
) -> None:
    before = datetime(2026, 6, 2, 10, 59, tzinfo=UTC)  # 06:59 in New York
    at_seven = datetime(2026, 6, 2, 11, 0, tzinfo=UTC)
    assert daily_digests_queue(now=before) == 0
    assert daily_digests_queue(now=at_seven) == 2
    assert daily_digests_queue(now=at_seven) == 2  # idempotent: still one each
    digests = Message.objects.filter(template_key=DAILY_DIGEST)
    assert {message.recipient_user for message in digests} == {prescriber, therapist}
    # Staff have no quiet hours: the 07:00 digest is not held to 08:00.
    assert all(message.send_at == at_seven for message in digests)
    # In winter (EST, UTC-5) 07:00 is 12:00 UTC.
    assert daily_digests_queue(now=datetime(2026, 12, 2, 11, 30, tzinfo=UTC)) == 0
    assert daily_digests_queue(now=datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == 2


def test_the_digest_lists_the_registered_sections(
    therapist: User, todays_sessions_section: None
) -> None:
    daily_digests_queue(now=datetime(2026, 6, 2, 11, 0, tzinfo=UTC))
    digest = Message.objects.get(template_key=DAILY_DIGEST)
    rendered = message_render(digest)
    assert rendered is not None
    assert "Today's sessions" in rendered.text
    assert "09:00 Preparation session for Test Therapist's patient P-1 on 02 Jun" in rendered.text
    assert "<h2>Today&#x27;s sessions</h2>" in rendered.html
    assert rendered.subject == "Your day at KAP Clinic: Tuesday 2 June"


def test_an_empty_digest_says_so(therapist: User) -> None:
    daily_digests_queue(now=datetime(2026, 6, 2, 11, 0, tzinfo=UTC))
    rendered = message_render(Message.objects.get(template_key=DAILY_DIGEST))
    assert rendered is not None
    assert "Nothing is scheduled or waiting for you today." in rendered.text


# --- articles on timeline steps -----------------------------------------------------------------
def test_a_message_offers_the_published_articles_attached_to_its_step(
    patient: Patient, example_template: str
) -> None:
    published = Article.objects.create(
        title="What to expect", slug="what-to-expect", body_markdown="x", published=True
    )
    published.steps.create(template_key=example_template)
    draft = Article.objects.create(title="Unfinished", slug="unfinished", body_markdown="x")
    draft.steps.create(template_key=example_template)
    message = queue_for(patient, "with-reading", channel="email")
    message_send.apply(args=(message.id,)).get()
    body = mail.outbox[0].body
    assert (
        f"What to expect: {settings.SITE_URL}/notifications/library/articles/what-to-expect/"
        in body
    )
    assert "Unfinished" not in body


# --- every template -----------------------------------------------------------------------------
DOMAIN_APPS = {"intake", "sessions", "integration", "clinic"}


def _shipped_template_keys(root: Path) -> set[str]:
    """Folders named like template keys (``area.step``); page templates live beside them."""
    return {path.name for path in root.iterdir() if path.is_dir() and "." in path.name}


def test_every_shipped_template_key_has_a_builder_or_is_the_example() -> None:
    root = Path(settings.BASE_DIR) / "templates" / "notifications"
    keys = _shipped_template_keys(root)
    assert keys - set(context_builders()) == {"example.appointment_reminder"}


def test_every_shipped_template_renders_with_no_missing_variable(
    patient: Patient,
    therapist: User,
    outsider: User,
    example_template: str,
    todays_sessions_section: None,
) -> None:
    root = Path(settings.BASE_DIR) / "templates" / "notifications"
    emergency_access_grant(
        user=outsider,
        patient_uuid=patient.uuid,
        reason="A synthetic emergency.",
        care_team=[therapist],
        review_path="/",
    )
    messages = {
        "example.appointment_reminder": queue_for(patient, "t1"),
        SAFETY_ALERT: safety_alert_request(staff_users=[therapist], refs={}, idempotency_key="t2")[
            0
        ],
        DAILY_DIGEST: Message.objects.get(
            id=message_request(
                recipient=patient_recipient(patient),
                template_key=DAILY_DIGEST,
                idempotency_key="t3",
                refs={"date": "2026-06-02"},
                urgent=True,
            ).id  # type: ignore[union-attr]
        ),
        EMERGENCY_ACCESS_MESSAGE: Message.objects.get(
            template_key=EMERGENCY_ACCESS_MESSAGE, recipient_user=therapist, channel="email"
        ),
    }
    Message.objects.filter(idempotency_key="t3").update(recipient_user=therapist)
    messages[DAILY_DIGEST].refresh_from_db()
    # The keys of the domain apps render, strictly, in their own tests
    # (tests/intake/test_messaging.py, tests/kap_sessions/test_reminders.py, tests/clinic/).
    own = {key for key in _shipped_template_keys(root) if key.split(".")[0] not in DOMAIN_APPS}
    assert set(messages) == own
    for key, message in messages.items():
        rendered = message_render(message)
        assert rendered is not None, key
        assert rendered.subject, key
        assert rendered.text, key
        if (root / key / "body.html").exists():
            assert rendered.html, key
        if (root / key / "sms.txt").exists():
            assert rendered.sms, key
