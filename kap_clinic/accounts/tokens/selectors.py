from __future__ import annotations

from django.db.models import QuerySet

from kap_clinic.accounts.models import ApiToken, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (for the record)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
