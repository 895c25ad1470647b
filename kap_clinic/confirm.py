"""An accessible confirmation step for irreversible actions (issue #10).

A view calls :func:`confirmation_required` first; until the form comes back with
``confirmed=yes`` it answers with a page that names the consequence and repeats the posted fields,
so the step works without JavaScript and with any assistive technology.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


def confirmation_required(
    request: HttpRequest,
    *,
    title: str,
    consequence: str,
    confirm_label: str,
    back_url: str,
    danger: bool = True,
) -> HttpResponse | None:
    """The confirmation page, or None once the user has confirmed."""
    if request.POST.get(CONFIRMED) == "yes":
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    return render(
        request,
        "kap_clinic/confirm.html",
        {
            "title": title,
            "consequence": consequence,
            "confirm_label": confirm_label,
            "back_url": back_url,
            "fields": fields,
            "action": request.path,
            "danger": danger,
        },
    )
