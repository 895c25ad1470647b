"""Break the glass: the grant, its audit row and the urgent message to the care team and admins.

The domain app that knows patients (intake) checks who the care team is and calls
:func:`emergency_access_grant`; this module never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, EmergencyAccess
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Channel, Message
from kap_clinic.notifications.services import message_request, recipient_for_user

EMERGENCY_ACCESS_MESSAGE = "security.emergency_access"
REASON_MIN_LENGTH = 10


@transaction.atomic
def emergency_access_grant(
    *,
    user: User,
    patient_uuid: Any,
    reason: str,
    care_team: Iterable[User],
    review_path: str,
    request: HttpRequest | None = None,
) -> EmergencyAccess:
    """Opens ``patient_uuid``'s chart to ``user`` for the policy's minutes (see settings).

    The caller has checked that ``user`` is a clinician outside the patient's care team. Writes the
    grant, its audit row (action "emergency access") and an urgent message to the care team and
    every clinic admin (ids only; ``review_path`` names the page that lists the chart's accesses),
    in one transaction.
    """
    reason = reason.strip()
    if not user.is_active or not user.is_clinician:
        raise ValidationError("Only clinicians can use emergency access.")
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": f"State the emergency in at least {REASON_MIN_LENGTH} characters."}
        )
    now = timezone.now()
    grant = EmergencyAccess.objects.create(
        user=user,
        patient_uuid=patient_uuid,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=settings.EMERGENCY_ACCESS_MINUTES),
    )
    audit_record(
        action=AuditAction.EMERGENCY_ACCESS,
        request=request,
        actor=user,
        object_type="intake.patient",
        object_id=str(patient_uuid),
        detail=f"emergency access {grant.uuid} for {settings.EMERGENCY_ACCESS_MINUTES} minutes",
    )
    admins = User.objects.filter(role="clinic_admin", is_active=True)
    recipients = {member.pk: member for member in [*care_team, *admins] if member.is_active}
    for member in recipients.values():
        for channel in (Channel.EMAIL, Channel.PORTAL):
            message_request(
                recipient=recipient_for_user(member),
                template_key=EMERGENCY_ACCESS_MESSAGE,
                idempotency_key=f"emergency-access:{grant.uuid}:{member.uuid}:{channel}",
                refs={"grant": str(grant.uuid), "path": review_path},
                channel=channel,
                essential=True,
                urgent=True,
            )
    return grant


def _message_context(message: Message) -> dict[str, Any] | None:
    grant = (
        EmergencyAccess.objects.select_related("user")
        .filter(uuid=message.refs.get("grant"))
        .first()
    )
    if grant is None:
        return None
    recipient = message.recipient_user
    admin = recipient is not None and recipient.role == "clinic_admin"
    local = grant.granted_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    path = str(message.refs.get("path", "/"))
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    return {
        "clinician_name": grant.user.full_name,
        "audience": "of the clinic" if admin else "in your care",
        "granted_at": f"{local:%Y-%m-%d %H:%M}",
        "minutes": settings.EMERGENCY_ACCESS_MINUTES,
        "review_url": settings.SITE_URL + path,
    }


def register() -> None:
    context_builder_register(EMERGENCY_ACCESS_MESSAGE, _message_context)
