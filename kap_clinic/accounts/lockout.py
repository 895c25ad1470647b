"""Sign-in lockout (django-axes): how an attempt is keyed, and its events in the audit record.

Axes counts failures per account and, separately, per address (AXES_LOCKOUT_PARAMETERS); the
numbers are clinic policy in settings (LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES).
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email tried, lower-cased, whether it came as ``username`` (the form) or ``email``."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("username")
    return str(value).strip().lower() if value else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind our own proxy, the one it appended to X-Forwarded-For."""
    meta = getattr(request, "META", {})
    if settings.TRUST_X_FORWARDED_PROTO:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())
    return meta.get("REMOTE_ADDR") or None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page shown while locked out: 429, with the policy's minutes."""
    return render(
        request,
        "accounts/locked_out.html",
        {"lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES},
        status=429,
    )


def _account(credentials: dict[str, Any]) -> User | None:
    email = sign_in_username(None, credentials)  # type: ignore[arg-type]
    if not email:
        return None
    return User.objects.filter(email__iexact=email).first()


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The account tried, when it exists, is the object; the email itself is never written.
    account = _account(credentials)
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        obj=account,
        object_type="" if account else "accounts.user",
        detail="wrong email or password"
        if not getattr(request, "axes_locked_out", False)
        else "refused: locked out",
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    account = _account({"username": username}) if username else None
    audit_record(
        action=AuditAction.LOCKED_OUT,
        request=request,
        obj=account,
        object_type="" if account else "accounts.user",
        detail=f"locked out after {settings.AXES_FAILURE_LIMIT} failed sign-ins",
    )
