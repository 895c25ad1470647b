"""Writes of the records area: record requests (each with its audit row)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.models import RecordRequest, RecordRequestStatus


@transaction.atomic
def record_request_create(
    *,
    requested_by: User,
    patient_fhir_id: str,
    recipient_name: str,
    recipient_contact: str,
    note: str = "",
) -> RecordRequest:
    now = timezone.now()
    request = RecordRequest.objects.create(
        requested_by=requested_by,
        patient_fhir_id=patient_fhir_id,
        recipient_name=recipient_name,
        recipient_contact=recipient_contact,
        note=note,
        requested_at=now,
        due_on=RecordRequest.due_for(timezone.localdate(now)),
    )
    audit_record(
        action=AuditAction.CREATE, actor=requested_by, obj=request, detail="record request"
    )
    return request


@transaction.atomic
def record_request_mark_sent(*, request: RecordRequest, by: User) -> RecordRequest:
    locked = RecordRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == RecordRequestStatus.SENT:
        return locked
    locked.status = RecordRequestStatus.SENT
    locked.sent_at = timezone.now()
    locked.sent_by = by
    locked.save(update_fields=["status", "sent_at", "sent_by"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=locked, detail="record copy sent")
    return locked
