"""The crisis line and emergency number shown wherever a patient writes (issue #10).

One source: the organisation's settings (set-up), with the ``CRISIS_LINE`` and
``EMERGENCY_NUMBER`` settings (988 and 911 in the US by default) when the organisation has not
been set up or leaves the emergency number empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class CrisisContacts:
    crisis_line: str
    emergency_number: str


def crisis_contacts() -> CrisisContacts:
    from kap_clinic.clinic.selectors import organisation_get

    organisation = organisation_get()
    default_line = str(getattr(settings, "CRISIS_LINE", "988") or "988")
    default_number = str(getattr(settings, "EMERGENCY_NUMBER", "911") or "911")
    if organisation is None:
        return CrisisContacts(crisis_line=default_line, emergency_number=default_number)
    return CrisisContacts(
        crisis_line=organisation.crisis_line or default_line,
        emergency_number=organisation.emergency_number or default_number,
    )


def crisis_context(request: HttpRequest) -> dict[str, object]:
    """For templates that include ``kap_clinic/_crisis.html``; read only when a page shows it."""
    return {"crisis": SimpleLazyObject(crisis_contacts)}
