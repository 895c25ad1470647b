"""Who a message goes to, without importing the domain apps.

Domain apps register a resolver for their kind of recipient (intake registers "patient") in
AppConfig.ready(); the outbox asks it for contact details when a message is requested and sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from kap_clinic.notifications.models import Channel, ContactPreference


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
    # Quiet hours protect patients' nights; staff get their digest at 07:00 and alerts at once.
    quiet_hours: bool = True

    @property
    def zone(self) -> str:
        return self.time_zone or str(settings.TIME_ZONE)


Resolver = Callable[[str], Recipient | None]
_resolvers: dict[str, Resolver] = {}

USER_KIND = "user"


def recipient_kind_register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def recipient_resolve(kind: str, recipient_id: str) -> Recipient | None:
    """The recipient's current contact details and preferences, or None when it no longer exists."""
    resolver = _resolvers.get(kind)
    recipient = resolver(recipient_id) if resolver else None
    return recipient_with_preferences(recipient) if recipient else None


def recipient_with_preferences(recipient: Recipient) -> Recipient:
    """``recipient`` with the channel and opt-out its owner chose (a ContactPreference) applied."""
    preference = ContactPreference.objects.filter(
        recipient_kind=recipient.kind, recipient_id=recipient.id
    ).first()
    if preference is None:
        return recipient
    return replace(
        recipient,
        preferred_channel=preference.channel or recipient.preferred_channel,
        opted_out=recipient.opted_out or preference.opted_out,
    )


def _resolve_user(user_uuid: str) -> Recipient | None:
    from kap_clinic.accounts.models import User

    user = User.objects.filter(uuid=user_uuid, is_active=True).first()
    if user is None:
        return None
    return recipient_for_user(user)


def recipient_for_user(user: Any) -> Recipient:
    return Recipient(
        kind=USER_KIND,
        id=str(user.uuid),
        user=user,
        email=user.email,
        quiet_hours=bool(getattr(user, "is_patient", False)),
    )


recipient_kind_register(USER_KIND, _resolve_user)
