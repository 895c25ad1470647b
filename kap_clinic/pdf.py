"""PDFs of the record (WeasyPrint): the clinic's header, the patient's name and MRN on every
page, and page numbers. Rendered from a template with no outside resources (nothing fetched)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # A record's PDF never loads anything from outside (no patient URL leaks, no network).
    raise ValueError(f"PDFs load no outside resources ({url[:40]})")


def clinic_header() -> dict[str, str]:
    """The clinic's name, address and phone for a PDF's header: the organisation's (set-up),
    else the CLINIC_NAME setting alone."""
    from kap_clinic.clinic.selectors import organisation_get

    organisation = organisation_get()
    if organisation is None:
        return {"clinic_name": settings.CLINIC_NAME, "clinic_address": "", "clinic_phone": ""}
    return {
        "clinic_name": organisation.legal_name,
        "clinic_address": organisation.address,
        "clinic_phone": organisation.phone,
    }


def pdf_render(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: the library loads Pango, only when needed

    html = render_to_string(template, {**clinic_header(), **context})
    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf())


def pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], *, filename: str
) -> HttpResponse:
    response = HttpResponse(pdf_render(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
