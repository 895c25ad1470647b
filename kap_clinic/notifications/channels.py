"""The ways a message reaches its recipient: email, text message (SMS) and the portal inbox.

Each channel takes the message, its recipient's current contact details and the rendered text, and
returns the provider's id for the send. It raises PermanentDeliveryError when retrying cannot help
and TransientDeliveryError when it may.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import smtplib
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.utils.module_loading import import_string

from kap_clinic.notifications.content import Rendered
from kap_clinic.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from kap_clinic.notifications.ics import calendar_ics_events, calendar_method
from kap_clinic.notifications.models import Channel, Message
from kap_clinic.notifications.recipients import Recipient

logger = logging.getLogger(__name__)

# E.164: a plus sign, a country code and up to 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
SMS_MAX_CHARS = 1600  # Twilio's limit for one message body


@dataclass(frozen=True)
class Delivery:
    """What the channel reports back: the provider's id for this send."""

    provider_id: str = ""


class ChannelSender(Protocol):
    def send(
        self,
        *,
        message: Message,
        recipient: Recipient,
        rendered: Rendered,
        unsubscribe_url: str,
        connection: Any = None,
    ) -> Delivery: ...


def email_connection() -> Any:
    """A mail connection several sends share (one SMTP session for a task's batch); it opens on
    the first send and the caller closes it."""
    return get_connection(fail_silently=False)


def message_id_header(message: Message) -> str:
    """The Message-ID of ``message``: derived from its id alone, so a copy sent again (a crash
    after the mail server accepted it) carries the same one and mail clients show it once."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<{message.uuid}@{domain or 'localhost'}>"


# --- email --------------------------------------------------------------------------------------
class EmailChannel:
    def send(
        self,
        *,
        message: Message,
        recipient: Recipient,
        rendered: Rendered,
        unsubscribe_url: str,
        connection: Any = None,
    ) -> Delivery:
        try:
            validate_email(recipient.email)
        except ValidationError:
            raise PermanentDeliveryError("the recipient has no valid email address") from None
        text = rendered.text
        html = rendered.html
        headers = {"X-KAP-Message": str(message.uuid)}
        if unsubscribe_url:
            text += f"\n\n--\nTo stop non-essential messages: {unsubscribe_url}"
            if html:
                link = f'<a href="{unsubscribe_url}">Stop non-essential messages</a>'
                html += f"\n<p><small>{link}</small></p>"
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message_id = message_id_header(message)
        headers["Message-ID"] = message_id
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            headers=headers,
        )
        if html:
            email.attach_alternative(html, "text/html")
        if rendered.calendar_events:
            method = calendar_method(rendered.calendar_events)
            email.attach(
                "appointments.ics" if len(rendered.calendar_events) > 1 else "appointment.ics",
                calendar_ics_events(rendered.calendar_events),
                f"text/calendar; charset=utf-8; method={method}",
            )
        for attachment in rendered.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
        try:
            (connection or email_connection()).send_messages([email])
        except smtplib.SMTPRecipientsRefused:
            raise PermanentDeliveryError("the mail server refused the recipient address") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(
                f"the mail server could not be reached ({type(error).__name__})"
            ) from None
        return Delivery(provider_id=message_id)


# --- SMS ----------------------------------------------------------------------------------------
class SmsBackend(Protocol):
    """Sends one text message; returns the gateway's id for it.

    A backend whose gateway deduplicates requests by an idempotency key sets
    ``accepts_idempotency_key = True`` and takes ``idempotency_key`` (stable per message) too.
    """

    def send_sms(self, *, to: str, body: str) -> str: ...


class ConsoleSmsBackend:
    """Development: writes the text to standard output instead of sending it. With DEBUG off
    (allowed only with ALLOW_CONSOLE_SMS=1) neither the number nor the text is written."""

    def send_sms(self, *, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex}"
        if settings.DEBUG:
            sys.stdout.write(f"--- SMS to {to} ({provider_id})\n{body}\n---\n")
        else:
            sys.stdout.write(f"--- SMS {provider_id}: {len(body)} characters, not shown ---\n")
        sys.stdout.flush()
        return provider_id


class TwilioSmsBackend:
    """Twilio's Messages REST API: a form-encoded POST with basic auth; 201 returns the SID.

    Twilio's Message resource documents no idempotency key for creating a message (its
    I-Twilio-Idempotency-Token header is one Twilio sends on its own webhooks), so a message sent
    again after a crash reaches the phone twice; README ("Delivery guarantees") states the window.
    """

    accepts_idempotency_key = False

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        timeout: float = 15,
    ) -> None:
        self.base_url = (base_url or settings.TWILIO_BASE_URL).rstrip("/")
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number or settings.SMS_FROM_NUMBER
        self.timeout = timeout
        if not (self.account_sid and self.auth_token and self.from_number):
            raise ImproperlyConfigured(
                "The Twilio SMS backend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "SMS_FROM_NUMBER."
            )

    def send_sms(self, *, to: str, body: str) -> str:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = Request(  # noqa: S310  (the base URL is an https setting, never user input)
            url,
            data=urlencode({"To": to, "From": self.from_number, "Body": body}).encode(),
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            method="POST",
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except HTTPError as error:
            raise self._error(error) from None
        except (URLError, OSError, TimeoutError) as error:
            raise TransientDeliveryError(
                f"the SMS gateway could not be reached ({type(error).__name__})"
            ) from None
        except ValueError:
            raise TransientDeliveryError("the SMS gateway answered with invalid JSON") from None
        sid = payload.get("sid")
        if not sid:
            raise TransientDeliveryError("the SMS gateway answered without a message id")
        return str(sid)

    @staticmethod
    def _error(error: HTTPError) -> Exception:
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {}
        code = detail.get("code", "")
        reason = f"the SMS gateway refused the message (HTTP {error.code}, error {code})"
        # 400: the request itself is wrong (e.g. error 21211, an invalid "To" number); retrying
        # sends the same thing. 401/403 (credentials), 429 (rate limit) and 5xx may recover.
        if error.code in (400, 404, 422):
            return PermanentDeliveryError(reason)
        return TransientDeliveryError(reason)


def sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    if name == "console":
        return ConsoleSmsBackend()
    if name == "twilio":
        return TwilioSmsBackend()
    backend: SmsBackend = import_string(name)()
    return backend


def sms_idempotency_key(message: Message) -> str:
    """The key a deduplicating SMS gateway gets: the message's own id, the same on every send."""
    return f"kap-message-{message.uuid}"


class SmsChannel:
    def send(
        self,
        *,
        message: Message,
        recipient: Recipient,
        rendered: Rendered,
        unsubscribe_url: str,
        connection: Any = None,
    ) -> Delivery:
        if not E164.match(recipient.mobile or ""):
            raise PermanentDeliveryError(
                "the recipient has no valid mobile number (E.164, e.g. +15555550123)"
            )
        if not rendered.sms:
            raise PermanentDeliveryError(f"template key '{message.template_key}' has no sms.txt")
        body = rendered.sms[:SMS_MAX_CHARS]
        backend = sms_backend()
        if getattr(backend, "accepts_idempotency_key", False):
            # A gateway that deduplicates by key turns a second send of this message into a no-op.
            provider_id = backend.send_sms(  # type: ignore[call-arg]
                to=recipient.mobile, body=body, idempotency_key=sms_idempotency_key(message)
            )
        else:
            provider_id = backend.send_sms(to=recipient.mobile, body=body)
        return Delivery(provider_id=provider_id)


# --- portal -------------------------------------------------------------------------------------
class PortalChannel:
    """The inbox the recipient sees when signed in: delivering is recording the rendered text."""

    def send(
        self,
        *,
        message: Message,
        recipient: Recipient,
        rendered: Rendered,
        unsubscribe_url: str,
        connection: Any = None,
    ) -> Delivery:
        if recipient.user is None:
            raise PermanentDeliveryError("the recipient has no portal sign-in")
        return Delivery()


CHANNELS: dict[str, ChannelSender] = {
    Channel.EMAIL: EmailChannel(),
    Channel.SMS: SmsChannel(),
    Channel.PORTAL: PortalChannel(),
}


def channel_for(name: str) -> ChannelSender:
    try:
        return CHANNELS[name]
    except KeyError:
        raise PermanentDeliveryError(f"unknown channel '{name}'") from None
