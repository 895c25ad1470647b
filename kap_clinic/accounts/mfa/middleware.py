"""Staff signed in with a password only reach the second-factor pages and sign-out, nothing else.

Verification lives in the session (django-otp's device key), so checking it costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from kap_clinic.accounts.mfa.services import (
    ENROLLED_SESSION_KEY,
    second_factor_enrolled,
    second_factor_required,
    second_factor_verified,
)

# The pages an unverified user may open.
OPEN_URL_NAMES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:mfa_setup",
        "accounts:mfa_verify",
        "accounts:index",
    }
)
OPEN_PATH_PREFIXES = ("/static/", "/healthz", "/favicon.ico")


@receiver(user_logged_in, dispatch_uid="mfa_enrolled_at_sign_in")
def _note_enrolment(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[ENROLLED_SESSION_KEY] = second_factor_enrolled(user=user)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not second_factor_verified(request)
            and second_factor_required(user=user, session=request.session)
            and not self._is_open(request)
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _is_open(request: HttpRequest) -> bool:
        if request.path.startswith(OPEN_PATH_PREFIXES):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in OPEN_URL_NAMES

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Two-factor sign-in is required: verify in the browser first."},
                status=403,
            )
        enrolled = bool(request.session.get(ENROLLED_SESSION_KEY))
        url_name = "accounts:mfa_verify" if enrolled else "accounts:mfa_setup"
        target = f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
