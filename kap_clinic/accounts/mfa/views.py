"""Two-factor pages: enrolment (QR code and secret, recovery codes shown once), verification at
sign-in, the user's own security page and the clinic admin's reset for staff."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.mfa import services
from kap_clinic.accounts.mfa.forms import EnrolmentCodeForm, SecondFactorCodeForm
from kap_clinic.accounts.mfa.qr import qr_code_data_url
from kap_clinic.accounts.models import ApiToken, User
from kap_clinic.accounts.roles import STAFF_ROLES, Role
from kap_clinic.accounts.tokens.forms import ApiTokenCreateForm
from kap_clinic.accounts.tokens.selectors import api_tokens_of

PENDING_DEVICE_SESSION_KEY = "kap_second_factor_pending_device"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(settings.LOGIN_REDIRECT_URL)


def _pending_device(request: AuthenticatedRequest) -> TOTPDevice | None:
    device_id = request.session.get(PENDING_DEVICE_SESSION_KEY)
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=request.user, confirmed=False).first()


@login_required
def mfa_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Enrol an authenticator app. Someone holding only the password cannot replace a second
    factor that exists: they are sent to verify with it first."""
    user = request.user
    if services.second_factor_enrolled(user=user) and not services.second_factor_verified(request):
        return redirect(
            f"{reverse('accounts:mfa_verify')}?{urlencode({'next': _next_url(request)})}"
        )
    device = _pending_device(request) if request.method == "POST" else None
    form = EnrolmentCodeForm(request.POST or None)
    if device is not None and form.is_valid():
        codes = services.totp_device_confirm(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
            return render(
                request,
                "accounts/mfa_recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", "That code is not right. Enter the code your app shows now.")
    if device is None:
        device = services.totp_device_start(user=user)
        request.session[PENDING_DEVICE_SESSION_KEY] = device.pk
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_code": qr_code_data_url(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode("ascii"),
            "next": _next_url(request),
            "required": user.is_clinic_staff or user.is_superuser,
        },
    )


@login_required
def mfa_verify(request: AuthenticatedRequest) -> HttpResponse:
    if services.second_factor_verified(request):
        return redirect(_next_url(request))
    if not services.second_factor_enrolled(user=request.user):
        return redirect("accounts:mfa_setup")
    form = SecondFactorCodeForm(request.POST or None)
    if form.is_valid():
        if services.second_factor_verify(
            request=request, user=request.user, code=form.cleaned_data["code"]
        ):
            return redirect(_next_url(request))
        form.add_error("code", "That code is not right, or was already used.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def account_security(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own security page: two-factor sign-in and API tokens."""
    user = request.user
    return render(
        request,
        "accounts/account_security.html",
        {
            "enrolled": services.second_factor_enrolled(user=user),
            "required": user.is_clinic_staff or user.is_superuser,
            "tokens": api_tokens_of(user=user),
            "token_form": ApiTokenCreateForm(),
            "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
        },
    )


@require_POST
@login_required
def recovery_codes_regenerate(request: AuthenticatedRequest) -> HttpResponse:
    if not services.second_factor_enrolled(user=request.user):
        return redirect("accounts:mfa_setup")
    codes = services.recovery_codes_regenerate(request=request, user=request.user)
    return render(
        request,
        "accounts/mfa_recovery_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@require_POST
@login_required
def mfa_turn_off(request: AuthenticatedRequest) -> HttpResponse:
    if request.user.is_clinic_staff or request.user.is_superuser:
        raise PermissionDenied
    services.second_factor_remove(request=request, user=request.user)
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("accounts:account_security")


@role_required(Role.CLINIC_ADMIN)
def staff_security(request: AuthenticatedRequest) -> HttpResponse:
    """Staff with their second-factor state and live API tokens, for the clinic admin."""
    staff = (
        User.objects.filter(role__in=[role.value for role in STAFF_ROLES], is_active=True)
        .annotate(enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .prefetch_related(
            Prefetch("api_tokens", queryset=ApiToken.objects.usable(), to_attr="live_tokens")
        )
        .order_by("full_name")
    )
    return render(request, "accounts/staff_security.html", {"staff": staff})


@require_POST
@role_required(Role.CLINIC_ADMIN)
def staff_second_factor_reset(request: AuthenticatedRequest, user_uuid: str) -> HttpResponse:
    member = get_object_or_404(User, uuid=user_uuid, role__in=[role.value for role in STAFF_ROLES])
    if member.pk == request.user.pk:
        # An admin who lost their own second factor asks another admin.
        raise PermissionDenied
    services.second_factor_reset(request=request, user=member, by=request.user)
    messages.success(
        request, f"{member.full_name} will set up two-factor sign-in at their next sign-in."
    )
    return redirect("accounts:staff_security")
