"""The crisis line and emergency number shown wherever a patient writes (issue #10).

One helper, so the source can move to the organisation's settings (being added on the clinic
set-up branch) without touching the pages: today it reads the ``CRISIS_LINE`` and
``EMERGENCY_NUMBER`` settings (988 and 911 in the US by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class CrisisContacts:
    crisis_line: str
    emergency_number: str


def crisis_contacts() -> CrisisContacts:
    return CrisisContacts(
        crisis_line=str(getattr(settings, "CRISIS_LINE", "988") or "988"),
        emergency_number=str(getattr(settings, "EMERGENCY_NUMBER", "911") or "911"),
    )


def crisis_context(request: HttpRequest) -> dict[str, CrisisContacts]:
    """For templates that include ``kap_clinic/_crisis.html``."""
    return {"crisis": crisis_contacts()}
