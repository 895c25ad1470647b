"""What a message says: its templates, and the context a domain app builds for them.

A template key such as ``appointment.reminder_24h`` names the files under
``templates/notifications/<template_key>/``: ``subject.txt``, ``body.txt``, ``body.html``
(optional, for email) and ``sms.txt`` (for text messages; the portal shows ``body.txt``).

The app that requests a message registers a context builder for its template keys in
AppConfig.ready(). The builder gets the message (its ``refs`` hold ids) and returns the template
context, or None when what the message was about is gone (the message is then cancelled).
A context may carry ``calendar_event`` (uid, start, end, summary, location, description) for an
.ics attachment on email.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
