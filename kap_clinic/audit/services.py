"""The one way to write to the audit record."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from kap_clinic.audit.chain import audit_chain_check, audit_event_append
from kap_clinic.audit.models import AuditAction, AuditEvent, AuditVerification

USER_AGENT_MAX = 300


def _object_id(obj: Model) -> str:
    # URLs and the API use UUIDs; fall back to the primary key for models without one.
    return str(getattr(obj, "uuid", None) or obj.pk)


def audit_record(
    *,
    action: AuditAction,
    request: HttpRequest | None = None,
    actor: Any = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: str = "",
) -> AuditEvent:
    """Appends one audit event to the hash chain, in the caller's transaction.

    The actor, IP and user agent come from ``request`` when given. The chain's lock is held until
    the caller's transaction ends, so call this last in a service, after its own row locks.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or _object_id(obj)
    ip_address = None
    user_agent = ""
    if request is not None:
        # A request from outside the middleware (a failed sign-in's signal) may carry no user.
        request_user = getattr(request, "user", None)
        if actor is None and request_user is not None and request_user.is_authenticated:
            actor = request_user
        ip_address = request.META.get("REMOTE_ADDR") or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    return audit_event_append(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type=object_type,
        object_id=object_id,
        ip_address=ip_address,
        user_agent=user_agent,
        detail=detail,
    )


def audit_chain_verify() -> AuditVerification:
    """Checks the whole chain and records the outcome (read by the admins' digest)."""
    report = audit_chain_check()
    return AuditVerification.objects.create(
        ok=report.ok, rows_checked=report.rows_checked, problem=report.problem[:300]
    )
