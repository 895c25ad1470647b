from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from kap_clinic.audit.models import AuditEvent
from kap_clinic.audit.records import patient_events_q


def audit_events_recent(*, object_id: str = "", actor_email: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if object_id:
        events = events.filter(object_id=object_id)
    if actor_email:
        events = events.filter(actor__email__iexact=actor_email)
    return events


def _clinic_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def audit_events_filtered(
    *,
    patient_uuid: str = "",
    user: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit rows for the review page and its export; dates are whole days in the clinic's zone."""
    events = AuditEvent.objects.select_related("actor").order_by("-occurred_at", "-id")
    if patient_uuid:
        events = events.filter(patient_events_q(patient_uuid))
    if user:
        events = events.filter(Q(actor__email__iexact=user) | Q(actor__full_name__icontains=user))
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if date_from:
        events = events.filter(occurred_at__gte=_clinic_midnight(date_from))
    if date_to:
        events = events.filter(occurred_at__lt=_clinic_midnight(date_to + timedelta(days=1)))
    return events
