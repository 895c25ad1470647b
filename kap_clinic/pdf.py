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


def pdf_render(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: the library loads Pango, only when needed

    html = render_to_string(template, {"clinic_name": settings.CLINIC_NAME, **context})
    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf())


def pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], *, filename: str
) -> HttpResponse:
    response = HttpResponse(pdf_render(template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
