"""DRF authentication by personal API token: `Authorization: Token <secret>` (or Bearer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from kap_clinic.accounts.models import ApiToken
from kap_clinic.accounts.tokens.services import api_token_revoke, token_digest

KEYWORDS = (b"token", b"bearer")
# Last use is recorded at most this often, so a busy client does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid token header: give the keyword and the token.")
        try:
            secret = parts[1].decode()
        except UnicodeError as error:
            raise AuthenticationFailed("Invalid token.") from error
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
        if token is None or not token.is_usable or not token.user.is_active:
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        if token.password_stamp != token.user.get_session_auth_hash():
            api_token_revoke(request=None, token=token, reason="password changed")
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token."""

    target_class = "kap_clinic.accounts.tokens.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <secret>`, a personal token from the account security page.",
        }
