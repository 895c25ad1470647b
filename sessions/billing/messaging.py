"""The superbill a patient asks to be emailed: requested through the outbox with ids only (the
patient's UUID and the period's dates in ``refs``); the PDF is drawn up at send time."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.content import Attachment, context_builder_register
from kap_clinic.notifications.models import Channel, Message
from kap_clinic.notifications.services import message_request
from kap_clinic.pdf import pdf_render
from sessions.billing.models import EstimateStatus, GoodFaithEstimate
from sessions.billing.selectors import superbill_for
from sessions.billing.services import ESTIMATE_READY_TEMPLATE

SUPERBILL_TEMPLATE = "sessions.billing_superbill"


@transaction.atomic
def superbill_email_request(
    *, patient: Patient, by: User, start: date | None = None, end: date | None = None
) -> Message | None:
    """Queues an email of the patient's superbill for the period; refused (ValidationError) when
    there is no superbill to send (no diagnosis or no posted charges). Asking twice in the same
    minute sends once."""
    superbill_for(patient=patient, start=start, end=end)  # refuses before anything is queued
    period = f"{start or ''}:{end or ''}"
    message = message_request(
        recipient=patient_recipient(patient),
        template_key=SUPERBILL_TEMPLATE,
        idempotency_key=f"{SUPERBILL_TEMPLATE}:{patient.uuid}:{period}:{timezone.now():%Y%m%d%H%M}",
        refs={
            "patient": str(patient.uuid),
            "start": start.isoformat() if start else "",
            "end": end.isoformat() if end else "",
        },
        channel=Channel.EMAIL,
        essential=True,
    )
    audit_record(
        action=AuditAction.EXPORT, actor=by, obj=patient, detail="superbill emailed on request"
    )
    return message


def _superbill_context(message: Message) -> dict[str, Any] | None:
    patient = Patient.objects.filter(uuid=message.refs.get("patient")).first()
    if patient is None:
        return None
    start = date.fromisoformat(message.refs["start"]) if message.refs.get("start") else None
    end = date.fromisoformat(message.refs["end"]) if message.refs.get("end") else None
    try:
        bill = superbill_for(patient=patient, start=start, end=end)
    except ValidationError:
        return None  # the charges or diagnoses are gone: nothing to send
    pdf = pdf_render("kap_sessions/pdf/superbill.html", {"bill": bill, "patient": patient})
    return {
        "attachments": [Attachment("superbill.pdf", pdf, "application/pdf")],
    }


def _estimate_ready_context(message: Message) -> dict[str, Any] | None:
    estimate = GoodFaithEstimate.objects.filter(
        uuid=message.refs.get("estimate"), status=EstimateStatus.ISSUED
    ).first()
    if estimate is None:
        return None  # replaced before it went out: the newer one has its own message
    path = reverse("sessions:billing:estimate_detail", args=[estimate.uuid])
    return {"link": f"{settings.SITE_URL}{path}"}


def register() -> None:
    context_builder_register(SUPERBILL_TEMPLATE, _superbill_context)
    context_builder_register(ESTIMATE_READY_TEMPLATE, _estimate_ready_context)
