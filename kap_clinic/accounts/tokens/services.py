"""Personal API tokens: created with an expiry (policy), revocable by their owner and by clinic
admins, stopped by a password change or deactivation. The secret is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kap_clinic.accounts.models import ApiToken, User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record

TOKEN_PREFIX = "kap_"  # noqa: S105  (a marker on every token, not a secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, request: HttpRequest, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token and its secret (to show once); it expires after API_TOKEN_LIFETIME_DAYS."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        digest=token_digest(secret),
        password_stamp=user.get_session_auth_hash(),
        created_at=now,
        expires_at=now + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS),
    )
    audit_record(action=AuditAction.CREATE, request=request, obj=token, detail="API token created")
    return token, secret


@transaction.atomic
def api_token_revoke(*, request: HttpRequest | None, token: ApiToken, reason: str) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.UPDATE,
            request=request,
            obj=token,
            detail=f"API token revoked: {reason}"[:300],
        )
    return token


@transaction.atomic
def api_tokens_revoke_all(*, request: HttpRequest | None, user: User, reason: str) -> int:
    """Revokes every live token of ``user`` (password change, deactivation)."""
    revoked = 0
    for token in ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        api_token_revoke(request=request, token=token, reason=reason)
        revoked += 1
    return revoked
