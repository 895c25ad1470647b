"""What the set-up's emails say: staff invitations, email-change confirmations, the expiry watch."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.digest import DigestSection, digest_section_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.recipients import Recipient, recipient_kind_register


def _staff_invitation_context(message: Message) -> dict[str, Any] | None:
    from kap_clinic.clinic.models import StaffInvitation
    from kap_clinic.clinic.services import staff_invitation_token

    invitation = (
        StaffInvitation.objects.select_related("user")
        .filter(uuid=message.refs.get("invitation"))
        .first()
    )
    if invitation is None or not invitation.is_usable():
        return None
    path = reverse("clinic:invitation_accept", kwargs={"token": staff_invitation_token(invitation)})
    return {
        "staff_name": invitation.user.full_name,
        "role": invitation.user.get_role_display(),
        "clinic_name": settings.CLINIC_NAME,
        "link": f"{settings.SITE_URL}{path}",
        "expires_at": invitation.expires_at,
    }


def _email_change_context(message: Message) -> dict[str, Any] | None:
    from kap_clinic.clinic.models import EmailChange
    from kap_clinic.clinic.services import email_change_token

    change = EmailChange.objects.filter(uuid=message.refs.get("email_change")).first()
    if change is None or not change.is_usable():
        return None
    path = reverse("clinic:email_change_confirm", kwargs={"token": email_change_token(change)})
    return {
        "clinic_name": settings.CLINIC_NAME,
        "link": f"{settings.SITE_URL}{path}",
        "expires_at": change.expires_at,
    }


def _resolve_email_change(change_uuid: str) -> Recipient | None:
    from kap_clinic.clinic.models import EmailChange
    from kap_clinic.clinic.services import email_change_recipient

    change = EmailChange.objects.filter(uuid=change_uuid).first()
    return email_change_recipient(change) if change else None


def _credentials_expiring(user: User, day: date) -> list[str]:
    """The admins' digest: staff licences and DEA registrations expiring soon (the expiry watch)."""
    if not user.is_clinic_admin:
        return []
    from kap_clinic.clinic.selectors import credentials_expiring, expiry_warning_days

    return [
        f"{row.holder}: {row.what} {'expired' if row.expires_on < day else 'expires'} "
        f"{row.expires_on:%d %b %Y}"
        for row in credentials_expiring(today=day, within_days=expiry_warning_days())
    ]


def register() -> None:
    from kap_clinic.clinic.services import (
        EMAIL_CHANGE_KIND,
        EMAIL_CHANGE_TEMPLATE,
        STAFF_INVITATION_TEMPLATE,
    )

    context_builder_register(STAFF_INVITATION_TEMPLATE, _staff_invitation_context)
    context_builder_register(EMAIL_CHANGE_TEMPLATE, _email_change_context)
    recipient_kind_register(EMAIL_CHANGE_KIND, _resolve_email_change)
    digest_section_register(
        DigestSection(
            key="clinic.credentials_expiring",
            title="Staff credentials expiring soon",
            items=_credentials_expiring,
            order=80,
        )
    )
