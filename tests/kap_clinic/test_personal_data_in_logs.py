"""No patient data in logs (issue 17, item 6): the access log recorded `/patients/?q=<name>`, the
console SMS backend printed numbers and text with DEBUG off, and production wrote emails to disk."""

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from kap_clinic.accounts.roles import Role
from kap_clinic.demo import _DEMO_ANSWERS, DEMO_PATIENTS, demo_seed
from kap_clinic.log_filters import PersonalDataMaskingFilter, mask
from kap_clinic.notifications.channels import ConsoleSmsBackend
from kap_clinic.notifications.delivery import message_deliver
from kap_clinic.notifications.models import Message, MessageStatus
from tests.conftest import PROJECT_ROOT, subprocess_env
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            '"GET /patients/?q=Riley+Chen HTTP/1.1" 200 5120',
            '"GET /patients/?[query removed] HTTP/1.1" 200 5120',
        ),
        ("reset sent to riley.chen@example.org", "reset sent to [email]"),
        ("text to +15555550100 failed", "text to [phone] failed"),
        ("call (555) 555-0100 or 555-0199", "call [phone] or [phone]"),
        ("course 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed at 2026-11-22 15:35:04", None),
    ],
)
def test_the_filter_masks_emails_phones_and_query_strings(line: str, masked: str | None) -> None:
    assert mask(line) == (masked if masked is not None else line)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the project's configured log handlers write (stderr in production), captured."""
    stream = io.StringIO()
    handlers = [
        handler
        for handler in logging.getLogger().handlers + logging.getLogger("django.server").handlers
        if any(isinstance(item, PersonalDataMaskingFilter) for item in handler.filters)
    ]
    assert handlers, "the console handler of settings.LOGGING carries the masking filter"
    previous = [handler.setStream(stream) for handler in handlers]  # type: ignore[attr-defined]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)  # type: ignore[attr-defined]


def test_every_configured_log_handler_masks() -> None:
    for name in ("", "django", "django.request", "django.server", "celery", "kap_clinic"):
        for handler in logging.getLogger(name).handlers:
            if type(handler).__module__.startswith("_pytest") or isinstance(
                handler, logging.NullHandler
            ):
                continue  # pytest's own capture; handlers that write nothing
            assert any(isinstance(item, PersonalDataMaskingFilter) for item in handler.filters), (
                name or "root"
            )


def _access_log(path: str, status: int, size: int) -> None:
    # What runserver's request handler logs for each request (WSGIRequestHandler.log_message).
    logging.getLogger("django.server").info('"%s" %s %s', f"GET {path} HTTP/1.1", status, size)


@pytest.mark.django_db
def test_a_full_journey_leaves_no_patient_name_email_or_phone_in_the_logs(
    client: Client, log_output: io.StringIO, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.SMS_BACKEND = "console"
    logging.getLogger("kap_clinic").setLevel(logging.DEBUG)
    demo_seed()  # invitations, intakes, screening, clearance and a booked course
    front_desk = UserFactory(role=Role.FRONT_DESK)
    client.force_login(front_desk)
    for path in [
        "/patients/?q=Riley+Chen",
        "/patients/?q=riley.chen%40example.org",
        "/sessions/calendar/",
    ]:
        response = client.get(path)
        _access_log(path, response.status_code, len(response.content))
    response = client.post(
        "/patients/invite/",
        {
            "legal_first_name": "Quinn",
            "legal_last_name": "Zephyrine",
            "date_of_birth": "1990-02-03",
            "email": "quinn.zephyrine@example.org",
        },
    )
    assert response.status_code == 302
    # Messages: every queued one is delivered now (email to the test outbox, SMS to the console).
    for message in Message.objects.filter(status=MessageStatus.QUEUED):
        message_deliver(message_id=message.pk)
    mobile = _DEMO_ANSWERS["about"]["mobile"]
    ConsoleSmsBackend().send_sms(to="+15555550100", body=f"Reminder for Jordan Ellis {mobile}")
    logging.getLogger("kap_clinic.test").warning(
        "delivery to %s (%s) failed", "riley.chen@example.org", mobile
    )

    captured = capsys.readouterr()
    written = log_output.getvalue() + captured.out + captured.err
    assert "GET /patients/?[query removed]" in written  # the capture sees the access log
    assert "SMS console-" in written  # and the console SMS backend
    forbidden = {"Quinn", "Zephyrine", "quinn.zephyrine", "+15555550100"}
    for first, last, _born, email, *_rest in DEMO_PATIENTS:
        forbidden |= {first, last, email}
    forbidden |= {
        _DEMO_ANSWERS["about"]["mobile"],
        _DEMO_ANSWERS["about"]["emergency_contact_phone"],
    }
    leaked = sorted(value for value in forbidden if value.lower() in written.lower())
    assert leaked == []


def test_the_console_sms_backend_prints_nothing_personal_with_debug_off(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.DEBUG = False
    ConsoleSmsBackend().send_sms(to="+15555550100", body="Your session with Sam is tomorrow")
    out = capsys.readouterr().out
    assert "+15555550100" not in out
    assert "Sam" not in out
    assert "33 characters, not shown" in out


def test_the_console_sms_backend_shows_the_message_in_development(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.DEBUG = True
    ConsoleSmsBackend().send_sms(to="+15555550100", body="Your session is tomorrow")
    assert "Your session is tomorrow" in capsys.readouterr().out


def _start_web(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import kap_clinic.wsgi"],
        cwd=PROJECT_ROOT,
        env=subprocess_env(DEBUG="0", SMS_BACKEND="console", EMAIL_URL="", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_with_console_sms_or_file_email() -> None:
    refused = _start_web(ALLOW_CONSOLE_SMS="0", ALLOW_FILE_EMAIL="0")
    assert refused.returncode != 0
    assert "SMS_BACKEND is console" in refused.stderr
    assert "EMAIL_URL is not set" in refused.stderr
    only_sms = _start_web(ALLOW_CONSOLE_SMS="0", ALLOW_FILE_EMAIL="1")
    assert only_sms.returncode != 0
    assert "EMAIL_URL is not set" not in only_sms.stderr
    allowed = _start_web(ALLOW_CONSOLE_SMS="1", ALLOW_FILE_EMAIL="1")
    assert allowed.returncode == 0, allowed.stderr
