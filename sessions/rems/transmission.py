"""Sending a signed REMS Patient Monitoring Form to the REMS: a small interface, one backend.

``settings.REMS_TRANSMISSION_BACKEND`` picks it. "console" logs that a form went (its id and the
PDF's size, never its content) and answers a made-up confirmation number; a fax or portal
integration is another class with the same ``send``.
"""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class RemsTransmissionError(Exception):
    """The form could not be sent; nothing was recorded."""


class RemsTransmitter(Protocol):
    name: str

    def send(self, *, form_uuid: str, pdf: bytes) -> str:
        """Sends the form's PDF; returns the REMS confirmation number."""
        ...


class ConsoleTransmitter:
    name = "console"

    def send(self, *, form_uuid: str, pdf: bytes) -> str:
        number = f"CONSOLE-{secrets.token_hex(4).upper()}"
        logger.info(
            "REMS form %s sent (console backend, %d bytes): %s", form_uuid, len(pdf), number
        )
        return number


_BACKENDS: dict[str, type[RemsTransmitter]] = {"console": ConsoleTransmitter}


def rems_transmitter() -> RemsTransmitter:
    name = getattr(settings, "REMS_TRANSMISSION_BACKEND", "console")
    backend = _BACKENDS.get(name)
    if backend is None:
        raise ImproperlyConfigured(
            f"REMS_TRANSMISSION_BACKEND {name!r} is not one of {sorted(_BACKENDS)}."
        )
    return backend()
