"""What a message says: its templates, and the context a domain app builds for them.

A template key such as ``appointment.reminder_24h`` names the files under
``templates/notifications/<template_key>/``: ``subject.txt``, ``body.txt``, ``body.html``
(optional, for email) and ``sms.txt`` (for text messages; the portal shows ``body.txt``).

The app that requests a message registers a context builder for its template keys in
AppConfig.ready(). The builder gets the message (its ``refs`` hold ids) and returns the template
context, or None when what the message was about is gone (the message is then cancelled).
A context may carry ``calendar_event`` (a :class:`CalendarEvent`, or a dict with uid, start, end,
summary, location, description, sequence, cancelled) for an .ics attachment on email, or
``calendar_events`` (a list of them) for one .ics holding several events, and ``attachments``
(a list of :class:`Attachment`) for other files on email.

Rendering is strict: a variable the template uses but the context lacks is an error (the message
fails with the variable's name), never a silently empty gap in a patient's instructions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from kap_clinic.notifications.errors import PermanentDeliveryError
from kap_clinic.notifications.models import Message

ContextBuilder = Callable[[Message], dict[str, Any] | None]
_builders: dict[str, ContextBuilder] = {}


@dataclass(frozen=True)
class TemplateNames:
    subject: str
    text: str
    html: str
    sms: str


def template_names(template_key: str) -> TemplateNames:
    base = f"notifications/{template_key}"
    return TemplateNames(
        subject=f"{base}/subject.txt",
        text=f"{base}/body.txt",
        html=f"{base}/body.html",
        sms=f"{base}/sms.txt",
    )


def context_builder_register(template_key: str, builder: ContextBuilder) -> None:
    _builders[template_key] = builder


def context_builders() -> dict[str, ContextBuilder]:
    return dict(_builders)


def context_build(message: Message) -> dict[str, Any] | None:
    """The template context of ``message``; KeyError when no app registered its template key."""
    return _builders[message.template_key](message)


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    # Raised on every change of the same event (RFC 5545 SEQUENCE), so calendars update it.
    sequence: int = 0
    cancelled: bool = False

    @classmethod
    def from_value(cls, value: Any) -> CalendarEvent:
        if isinstance(value, CalendarEvent):
            return value
        try:
            return cls(**dict(value))
        except TypeError as error:
            raise PermanentDeliveryError(f"calendar_event is malformed: {error}") from None


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (e.g. a superbill PDF the patient asked for), built by the
    context builder at send time from the ids in ``refs``."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str
    calendar_event: CalendarEvent | None = None
    calendar_events: tuple[CalendarEvent, ...] = ()
    attachments: tuple[Attachment, ...] = ()


class MissingTemplateVariable(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _RaiseOnMissing(str):
    """Django's ``string_if_invalid`` hook: ``"%s" in it`` is true, and formatting it raises."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return True

    def __mod__(self, name: object) -> str:
        raise MissingTemplateVariable(str(name))


@cache
def _engine(*, autoescape: bool) -> Engine:
    # A separate engine, so strict rendering never changes how the site's pages render.
    return Engine(
        dirs=[str(settings.BASE_DIR / "templates")],
        app_dirs=True,
        autoescape=autoescape,
        string_if_invalid=_RaiseOnMissing("%s"),
    )


def _render(name: str, context: Mapping[str, Any], *, html: bool, required: bool) -> str:
    try:
        template = _engine(autoescape=html).get_template(name)
    except TemplateDoesNotExist:
        if required:
            raise PermanentDeliveryError(f"template {name} does not exist") from None
        return ""
    except TemplateSyntaxError as error:
        raise PermanentDeliveryError(f"template {name} has a syntax error: {error}") from None
    try:
        return template.render(Context(dict(context), autoescape=html)).strip()
    except MissingTemplateVariable as missing:
        raise PermanentDeliveryError(
            f"missing template variable '{missing.name}' in {name}"
        ) from None


def base_context() -> dict[str, Any]:
    """What every message template may use, besides its builder's context."""
    return {"clinic_name": settings.CLINIC_NAME, "site_url": settings.SITE_URL}


def message_render(
    message: Message, *, extra: Mapping[str, Any] | None = None, time_zone: str = ""
) -> Rendered | None:
    """Renders ``message``, times shown in ``time_zone`` (the recipient's); None when its builder
    says the subject is gone.

    Raises PermanentDeliveryError for an unknown template key, a missing template file or a
    missing variable.
    """
    builder = _builders.get(message.template_key)
    if builder is None:
        raise PermanentDeliveryError(f"unknown template key '{message.template_key}'")
    built = builder(message)
    if built is None:
        return None
    context = {**base_context(), **(extra or {}), **built}
    names = template_names(message.template_key)
    event = context.get("calendar_event")
    events = tuple(CalendarEvent.from_value(value) for value in context.get("calendar_events", ()))
    if event and not events:
        events = (CalendarEvent.from_value(event),)
    with timezone.override(ZoneInfo(time_zone or settings.TIME_ZONE)):
        return Rendered(
            subject=" ".join(_render(names.subject, context, html=False, required=True).split()),
            text=_render(names.text, context, html=False, required=True),
            html=_render(names.html, context, html=True, required=False),
            sms=_render(names.sms, context, html=False, required=False),
            calendar_event=events[0] if events else None,
            calendar_events=events,
            attachments=tuple(context.get("attachments") or ()),
        )


def context_builder_unregister(template_key: str) -> None:
    _builders.pop(template_key, None)
