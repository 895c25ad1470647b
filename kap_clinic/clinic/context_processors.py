"""The organisation's crisis line for templates, read only when a page shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import lazy

from kap_clinic.clinic.models import DEFAULT_CRISIS_LINE


def _crisis_line() -> str:
    from kap_clinic.clinic.selectors import organisation_get

    organisation = organisation_get()
    return organisation.crisis_line if organisation else DEFAULT_CRISIS_LINE


def crisis_line(request: HttpRequest) -> dict[str, object]:
    return {"crisis_line": lazy(_crisis_line, str)()}
