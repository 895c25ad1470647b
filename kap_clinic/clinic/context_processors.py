"""The organisation's crisis line for templates, read only when a page shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import lazy


def _crisis_line() -> str:
    from kap_clinic.crisis import crisis_contacts

    return crisis_contacts().crisis_line


def crisis_line(request: HttpRequest) -> dict[str, object]:
    return {"crisis_line": lazy(_crisis_line, str)()}
