"""Higher layers tell billing how long a psychotherapy session really lasted (for example the
integration note's start and end) without sessions importing them (dependencies flow one way)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from kap_clinic.accounts.models import User
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


# Supervision (issue #19): a trainee's session is billed under the supervising clinician. The
# supervision relationships live in a higher layer (integration), which registers a resolver
# "who supervises this clinician on this date" here; None means the clinician is not supervised.
SupervisingClinician = Callable[["User", "date"], "User | None"]
_supervisor_resolvers: dict[str, SupervisingClinician] = {}


def supervising_clinician_register(key: str, resolver: SupervisingClinician) -> None:
    _supervisor_resolvers[key] = resolver


def supervising_clinician(clinician: User, on: date) -> User | None:
    """The clinician who supervises ``clinician`` on the date of service, if any."""
    for key in sorted(_supervisor_resolvers):
        supervisor = _supervisor_resolvers[key](clinician, on)
        if supervisor is not None:
            return supervisor
    return None
