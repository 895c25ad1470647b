"""Project-wide middleware: Content-Security-Policy and Permissions-Policy headers, no caching of
signed-in pages, and the idle sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# Only this origin, for everything; inline script and style are refused. data: images are allowed
# because Bootstrap draws form-control icons as inline SVG data URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# No page needs the camera, microphone, location, payment or other powerful browser features.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ]
)

LAST_ACTIVITY_KEY = "kap_last_activity"
ACTIVITY_RESOLUTION_SECONDS = 30


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class NoStoreMiddleware:
    """Nothing shown to a signed-in user (pages, API, files) is kept by the browser or a proxy:
    every such response may carry patient data. Token-authenticated API calls are covered too,
    since DRF sets request.user on the underlying request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.headers.get("Authorization"):
            response.headers["Cache-Control"] = "no-store, private"
            response.headers["Pragma"] = "no-cache"
        return response


def idle_timeout_seconds(user: object) -> int:
    """Patients may stay idle longer than staff (settings; clinic policy)."""
    minutes = (
        settings.PATIENT_IDLE_TIMEOUT_MINUTES
        if getattr(user, "is_patient", False)
        else settings.STAFF_IDLE_TIMEOUT_MINUTES
    )
    return int(minutes) * 60


class IdleTimeoutMiddleware:
    """Signs a user out after a period without requests, and sends them to the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last_activity = request.session.get(LAST_ACTIVITY_KEY)
            if last_activity is not None and now - float(last_activity) > idle_timeout_seconds(
                user
            ):
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                login_url = reverse(settings.LOGIN_URL)
                target = f"{login_url}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return HttpResponseRedirect(target)
            # Refresh at most every ACTIVITY_RESOLUTION_SECONDS: no session write on every request.
            if last_activity is None or now - float(last_activity) > ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
