"""Create and revoke API tokens: the owner from their security page, a clinic admin for staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.mfa.services import second_factor_enrolled
from kap_clinic.accounts.models import ApiToken
from kap_clinic.accounts.roles import STAFF_ROLES
from kap_clinic.accounts.tokens import services
from kap_clinic.accounts.tokens.forms import ApiTokenCreateForm
from kap_clinic.accounts.tokens.selectors import api_tokens_of


@require_POST
@login_required
def api_token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    secret = ""
    if form.is_valid():
        _token, secret = services.api_token_create(
            request=request, user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiTokenCreateForm()
    user = request.user
    return render(
        request,
        "accounts/account_security.html",
        {
            "enrolled": second_factor_enrolled(user=user),
            "required": user.is_clinic_staff or user.is_superuser,
            "tokens": api_tokens_of(user=user),
            "token_form": form,
            "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
            "new_secret": secret,
        },
        status=200 if not form.errors else 400,
    )


@require_POST
@login_required
def api_token_revoke(request: AuthenticatedRequest, token_uuid: str) -> HttpResponse:
    """The owner revokes their own token; a clinic admin revokes a staff member's."""
    token = get_object_or_404(ApiToken.objects.select_related("user"), uuid=token_uuid)
    is_owner = token.user_id == request.user.pk
    is_admin_over_staff = request.user.is_clinic_admin and token.user.role in STAFF_ROLES
    if not (is_owner or is_admin_over_staff):
        raise Http404
    services.api_token_revoke(
        request=request,
        token=token,
        reason="by its owner" if is_owner else "by a clinic admin",
    )
    messages.success(request, f"Token “{token.name}” revoked.")
    if is_owner:
        return redirect("accounts:account_security")
    return redirect("accounts:staff_security")
