from __future__ import annotations

from django.db.models import QuerySet

from kap_clinic.audit.models import AuditEvent


def audit_events_recent(*, object_id: str = "", actor_email: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if object_id:
        events = events.filter(object_id=object_id)
    if actor_email:
        events = events.filter(actor__email__iexact=actor_email)
    return events
