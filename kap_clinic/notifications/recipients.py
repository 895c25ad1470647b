"""Who a message goes to, without importing the domain apps.

Domain apps register a resolver for their kind of recipient (intake registers "patient") in
AppConfig.ready(); the outbox asks it for contact details when a message is requested and sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kap_clinic.notifications.models import Channel


@dataclass(frozen=True)
class Recipient:
    kind: str
    id: str
    user: Any = None  # accounts.User, when the recipient can sign in
    email: str = ""
    mobile: str = ""
    time_zone: str = ""
    preferred_channel: str = Channel.EMAIL
    # Opted out of non-essential messages (appointment and safety messages still go).
    opted_out: bool = False

    @property
    def zone(self) -> str:
        return self.time_zone or str(settings.TIME_ZONE)


Resolver = Callable[[str], Recipient | None]
_resolvers: dict[str, Resolver] = {}

USER_KIND = "user"


def recipient_kind_register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def recipient_resolve(kind: str, recipient_id: str) -> Recipient | None:
    """The recipient's current contact details, or None when it no longer exists."""
    resolver = _resolvers.get(kind)
    return resolver(recipient_id) if resolver else None


def _resolve_user(user_uuid: str) -> Recipient | None:
    from kap_clinic.accounts.models import User

    user = User.objects.filter(uuid=user_uuid, is_active=True).first()
    if user is None:
        return None
    return Recipient(kind=USER_KIND, id=str(user.uuid), user=user, email=user.email)


def recipient_for_user(user: Any) -> Recipient:
    return Recipient(kind=USER_KIND, id=str(user.uuid), user=user, email=user.email)


recipient_kind_register(USER_KIND, _resolve_user)
