"""Sign-in, the redirect after it, and the landing page of each role."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.landing import panels_for
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.tokens.services import api_tokens_revoke_all

LANDING_URL_NAMES: dict[Role, str] = {
    Role.PATIENT: "accounts:portal",
    Role.FRONT_DESK: "accounts:desk",
    Role.THERAPIST: "accounts:clinician",
    Role.PRESCRIBER: "accounts:clinician",
    Role.CLINIC_ADMIN: "accounts:clinic_admin",
}

LANDING_TITLES: dict[Role, str] = {
    Role.PATIENT: "Your portal",
    Role.FRONT_DESK: "Front desk",
    Role.THERAPIST: "Your day",
    Role.PRESCRIBER: "Your day",
    Role.CLINIC_ADMIN: "Clinic administration",
}


def index(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: the landing page of the user's role."""
    role = getattr(request.user, "role", "")
    if role not in LANDING_URL_NAMES:
        raise PermissionDenied
    return redirect(LANDING_URL_NAMES[Role(role)])


def _landing(request: AuthenticatedRequest) -> HttpResponse:
    role = Role(request.user.role)
    return render(
        request,
        "accounts/landing.html",
        {"title": LANDING_TITLES[role], "panels": list(panels_for(request, role=role))},
    )


@role_required(Role.PATIENT)
def portal(request: AuthenticatedRequest) -> HttpResponse:
    return _landing(request)


@role_required(Role.FRONT_DESK)
def desk(request: AuthenticatedRequest) -> HttpResponse:
    return _landing(request)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def clinician(request: AuthenticatedRequest) -> HttpResponse:
    return _landing(request)


@role_required(Role.CLINIC_ADMIN)
def clinic_admin(request: AuthenticatedRequest) -> HttpResponse:
    return _landing(request)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view; a new password also revokes the user's API tokens."""

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        api_tokens_revoke_all(request=self.request, user=form.user, reason="password changed")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a reset password also revokes the user's API tokens."""

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        api_tokens_revoke_all(request=self.request, user=form.user, reason="password reset")
        return response
