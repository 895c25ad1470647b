"""Writes of secure messages: start a thread, reply; the other side is told, without content."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.conversations.models import MESSAGE_MAX, Thread, ThreadMessage
from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import message_request

NOTICE = "intake.secure_message"


def _clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write your message first."})
    if len(body) > MESSAGE_MAX:
        raise ValidationError({"body": f"Keep a message under {MESSAGE_MAX} characters."})
    return body


def _notify(message: ThreadMessage) -> None:
    """A notice to the other side: who may read it, never what it says."""
    thread = message.thread
    patient = thread.patient
    refs = {"thread": str(thread.uuid)}
    if message.author.is_patient:
        team = [user for user in (patient.therapist, patient.prescriber) if user is not None]
        for user in team:
            message_request(
                recipient=recipient_for_user(user),
                template_key=NOTICE,
                idempotency_key=f"{NOTICE}:{message.uuid}:{user.uuid}",
                refs=refs,
            )
    else:
        message_request(
            recipient=patient_recipient(patient),
            template_key=NOTICE,
            idempotency_key=f"{NOTICE}:{message.uuid}",
            refs=refs,
        )


@transaction.atomic
def thread_start(*, patient: Patient, subject: str, body: str, by: User) -> Thread:
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": "Give the message a subject."})
    body = _clean(body)
    now = timezone.now()
    thread = Thread.objects.create(
        patient=patient, subject=subject[:150], created_by=by, created_at=now, last_message_at=now
    )
    message = ThreadMessage.objects.create(thread=thread, author=by, body=body, sent_at=now)
    audit_record(action=AuditAction.CREATE, actor=by, obj=message, detail="secure message sent")
    _notify(message)
    return thread


@transaction.atomic
def thread_reply(*, thread: Thread, body: str, by: User) -> ThreadMessage:
    body = _clean(body)
    thread = Thread.objects.select_for_update().select_related("patient").get(pk=thread.pk)
    now = timezone.now()
    message = ThreadMessage.objects.create(thread=thread, author=by, body=body, sent_at=now)
    thread.last_message_at = now
    thread.save(update_fields=["last_message_at"])
    audit_record(action=AuditAction.CREATE, actor=by, obj=message, detail="secure message sent")
    _notify(message)
    return message
