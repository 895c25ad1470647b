"""Channels: email with HTML and an .ics that calendar programs accept, SMS through Twilio's API
(against a local server speaking it), and the console backend."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import icalendar
import pytest
from django.core import mail
from django.test import override_settings

from intake.models import Patient
from kap_clinic.notifications.channels import ConsoleSmsBackend, TwilioSmsBackend
from kap_clinic.notifications.content import CalendarEvent
from kap_clinic.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from kap_clinic.notifications.ics import calendar_ics
from kap_clinic.notifications.models import MessageStatus
from kap_clinic.notifications.tasks import message_send
from tests.notifications.conftest import APPOINTMENT_START, queue_for

SID = "AC00000000000000000000000000000001"
TOKEN = "test-auth-token"  # noqa: S105
FROM = "+15555550100"
MIDDAY = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)  # noon in New York: not quiet


def test_an_appointment_email_has_text_html_and_an_ics_calendar_programs_accept(
    db: None, patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "ics", channel="email", refs={"appointment": "a7"})
    message_send.apply(args=(message.id,)).get()
    email = mail.outbox[0]
    assert "2:00 PM" in email.body
    html, html_type = email.alternatives[0]
    assert html_type == "text/html"
    assert "<p>Hello Alex,</p>" in str(html)
    name, ics, ics_type = email.attachments[0]
    assert name == "appointment.ics"
    assert ics_type.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == APPOINTMENT_START
    assert event.decoded("dtend") == APPOINTMENT_START + timedelta(hours=3)
    assert str(event["summary"]) == "Dosing session, Harbour Street Clinic"
    assert str(event["location"]) == "1 Harbour Street, Room 2; ring the bell"
    assert str(event["uid"]).startswith("appointment-a7@")


def test_long_ics_lines_are_folded_and_still_parse() -> None:
    description = "Bring water; wear comfortable clothes, please. " * 8
    start = datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    ics = calendar_ics(
        CalendarEvent(
            uid="u1",
            start=start,
            end=start + timedelta(hours=1),
            summary="S",
            description=description,
        )
    )
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    event = next(iter(icalendar.Calendar.from_ical(ics).walk("VEVENT")))
    assert str(event["description"]) == description


def test_a_non_essential_email_carries_an_unsubscribe_link_and_an_essential_one_does_not(
    db: None, patient: Patient, example_template: str
) -> None:
    optional = queue_for(patient, "optional", channel="email", urgent=False, send_at=MIDDAY)
    needed = queue_for(
        patient, "needed", channel="email", urgent=False, essential=True, send_at=MIDDAY
    )
    for message in (optional, needed):
        message_send.apply(args=(message.id,)).get()
    optional_email, needed_email = mail.outbox
    assert "/notifications/unsubscribe/" in optional_email.body
    assert optional_email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in str(optional_email.alternatives[0][0])
    assert "unsubscribe" not in needed_email.body
    assert "List-Unsubscribe" not in needed_email.extra_headers


class _TwilioHandler(BaseHTTPRequestHandler):
    """Speaks the part of Twilio's Messages API the client uses."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        length = int(self.headers["Content-Length"])
        form = {
            key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()
        }
        self.received.append(
            {
                "path": self.path,
                "authorization": self.headers["Authorization"],
                "content_type": self.headers["Content-Type"],
                "form": form,
            }
        )
        expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if self.headers["Authorization"] != expected_auth:
            self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        elif self.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
        elif form["To"] == "+15555550199":
            self._answer(
                400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
            )
        elif form["To"] == "+15555550198":
            self._answer(503, {"code": 20503, "message": "Service unavailable", "status": 503})
        else:
            sid = f"SM{len(self.received):032d}"
            self._answer(
                201, {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}
            )

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture
def twilio_server() -> Iterator[str]:
    _TwilioHandler.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TwilioHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _client(base_url: str, **overrides: str) -> TwilioSmsBackend:
    fields = {"base_url": base_url, "account_sid": SID, "auth_token": TOKEN, "from_number": FROM}
    fields.update(overrides)
    return TwilioSmsBackend(**fields)  # type: ignore[arg-type]


def test_the_twilio_client_posts_a_form_with_basic_auth_and_returns_the_message_sid(
    twilio_server: str,
) -> None:
    sid = _client(twilio_server).send_sms(to="+15555550123", body="Your session is tomorrow.")
    assert sid == f"SM{1:032d}"
    (request,) = _TwilioHandler.received
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "To": "+15555550123",
        "From": FROM,
        "Body": "Your session is tomorrow.",
    }


def test_the_twilio_client_tells_permanent_from_transient_refusals(twilio_server: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="HTTP 400, error 21211"):
        _client(twilio_server).send_sms(to="+15555550199", body="x")
    with pytest.raises(TransientDeliveryError, match="HTTP 503"):
        _client(twilio_server).send_sms(to="+15555550198", body="x")
    with pytest.raises(TransientDeliveryError, match="HTTP 401"):
        _client(twilio_server, auth_token="wrong").send_sms(to="+15555550123", body="x")


def test_the_twilio_client_treats_an_unreachable_gateway_as_transient() -> None:
    with pytest.raises(TransientDeliveryError, match="could not be reached"):
        _client("http://127.0.0.1:9").send_sms(to="+15555550123", body="x")


def test_an_sms_message_goes_through_the_configured_gateway(
    db: None, patient: Patient, example_template: str, twilio_server: str
) -> None:
    Patient.objects.filter(id=patient.id).update(mobile="+15555550123")
    message = queue_for(patient, "sms", channel="sms")
    with override_settings(
        SMS_BACKEND="twilio",
        TWILIO_BASE_URL=twilio_server,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        SMS_FROM_NUMBER=FROM,
    ):
        message_send.apply(args=(message.id,)).get()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_id == f"SM{1:032d}"
    body = _TwilioHandler.received[0]["form"]["Body"]
    assert body.startswith("KAP Clinic: reminder of your dosing session on Wed 10 Jun at 2:00 PM")
    assert message.rendered_body == body


def test_the_console_sms_backend_writes_the_text_to_standard_output(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.DEBUG = True  # with DEBUG off it hides number and text (issue 17)
    provider_id = ConsoleSmsBackend().send_sms(to="+15555550123", body="Hello")
    output = capsys.readouterr().out
    assert provider_id in output
    assert "Hello" in output


def test_a_portal_message_needs_a_sign_in(
    db: None, patient: Patient, example_template: str
) -> None:
    message = queue_for(patient, "portal", channel="portal")
    message_send.apply(args=(message.id,)).get()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert "Hello Alex" in message.rendered_body
    Patient.objects.filter(id=patient.id).update(user=None)
    orphan = queue_for(patient, "portal-2", channel="portal")
    message_send.apply(args=(orphan.id,)).get()
    orphan.refresh_from_db()
    assert (orphan.status, orphan.last_error) == (
        MessageStatus.FAILED,
        "the recipient has no portal sign-in",
    )
