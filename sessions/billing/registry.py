"""Higher layers tell billing how long a psychotherapy session really lasted (for example the
integration note's start and end) without sessions importing them (dependencies flow one way)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessions.models import Appointment

# Each provider returns the session's minutes from its record, or None when it has none.
SessionMinutes = Callable[["Appointment"], "int | None"]
_providers: dict[str, SessionMinutes] = {}


def session_minutes_register(key: str, provider: SessionMinutes) -> None:
    _providers[key] = provider


def session_minutes(appointment: Appointment) -> tuple[int, str]:
    """Minutes of the session and where they come from: a registered record first, else the
    booked duration."""
    for key in sorted(_providers):
        minutes = _providers[key](appointment)
        if minutes is not None:
            return minutes, key
    booked = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return booked, "appointment duration"
