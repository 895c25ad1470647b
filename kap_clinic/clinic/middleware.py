"""The first-run wizard: until the organisation exists, a signed-in superuser is led to it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Pages that stay reachable during the wizard: the set-up area itself, signing in and out,
# Django's admin, static files and the machine endpoints.
_EXEMPT_PREFIXES = ("/setup/", "/accounts/", "/admin/", "/static/", "/healthz", "/api/", "/favicon")


class FirstRunMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_superuser
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            from kap_clinic.clinic.models import Organisation

            if not Organisation.objects.exists():
                return redirect("clinic:wizard")
        return self.get_response(request)
