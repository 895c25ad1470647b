"""Patients as recipients of messages: the "patient" kind of the notifications outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from intake.models import Patient
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.recipients import Recipient, recipient_kind_register

PATIENT_KIND = "patient"


def patient_recipient(patient: Patient) -> Recipient:
    """The patient's current contact details, as the outbox needs them."""
    return Recipient(
        kind=PATIENT_KIND,
        id=str(patient.uuid),
        user=patient.user,
        email=patient.email,
        mobile=patient.mobile,
        time_zone=patient.time_zone,
        preferred_channel=patient.reminder_channel,
    )


def _resolve_patient(patient_uuid: str) -> Recipient | None:
    patient = Patient.objects.select_related("user").filter(uuid=patient_uuid).first()
    return patient_recipient(patient) if patient else None


def register() -> None:
    recipient_kind_register(PATIENT_KIND, _resolve_patient)


# --- what the intake's messages say ---------------------------------------------------------------


def _invitation_context(message: Message) -> dict[str, Any] | None:
    from intake.models import Invitation
    from intake.services import invitation_token

    invitation = (
        Invitation.objects.select_related("patient")
        .filter(uuid=message.refs.get("invitation"))
        .first()
    )
    # A used, replaced or expired link is not worth sending (or reminding of).
    if invitation is None or not invitation.is_usable():
        return None
    if message.template_key.endswith("reminder") and invitation.patient.intakes.exists():
        return None
    path = reverse("intake:invitation_accept", kwargs={"token": invitation_token(invitation)})
    return {
        "patient_name": invitation.patient.display_name,
        "clinic_name": settings.CLINIC_NAME,
        "link": f"{settings.SITE_URL}{path}",
        "expires_at": invitation.expires_at,
    }


def _safety_alert_context(message: Message) -> dict[str, Any] | None:
    from intake.models import Alert

    alert = Alert.objects.select_related("patient").filter(uuid=message.refs.get("alert")).first()
    if alert is None:
        return None
    # No clinical detail in the message itself: the link leads to the summary behind sign-in.
    path = reverse("intake:intake_summary", kwargs={"patient_uuid": alert.patient.uuid})
    return {"clinic_name": settings.CLINIC_NAME, "link": f"{settings.SITE_URL}{path}"}


def _secure_message_context(message: Message) -> dict[str, Any] | None:
    from intake.conversations.models import Thread

    thread = (
        Thread.objects.select_related("patient").filter(uuid=message.refs.get("thread")).first()
    )
    if thread is None:
        return None
    # No content and no name: the link leads behind sign-in.
    if message.recipient_kind == PATIENT_KIND:
        path = reverse("intake:my_thread", args=[thread.uuid])
    else:
        path = reverse("intake:thread_detail", args=[thread.patient.uuid, thread.uuid])
    return {"clinic_name": settings.CLINIC_NAME, "link": f"{settings.SITE_URL}{path}"}


def register_content() -> None:
    context_builder_register("intake.secure_message", _secure_message_context)
    context_builder_register("intake.invitation", _invitation_context)
    context_builder_register("intake.invitation_reminder", _invitation_context)
    context_builder_register("intake.safety_alert", _safety_alert_context)
