"""The clinic admins' digest: the outcome of the latest audit chain check (a digest section)."""

from __future__ import annotations

from datetime import date, timedelta

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditVerification
from kap_clinic.notifications.digest import DigestSection, digest_section_register


def audit_chain_status(user: User, day: date) -> list[str]:
    """For clinic admins: whether the audit record's chain was intact at its last check."""
    if user.role != Role.CLINIC_ADMIN:
        return []
    latest = AuditVerification.objects.first()
    if latest is None:
        return ["The audit record has not been checked yet."]
    when = latest.ran_at.date()
    stale = (
        " (no check in the last two days: is the worker running?)"
        if (when < day - timedelta(days=1))
        else ""
    )
    if latest.ok:
        return [
            f"Audit record intact: {latest.rows_checked} entries checked on {when:%d %b}{stale}"
        ]
    return [
        f"AUDIT RECORD BROKEN at its check on {when:%d %b}: {latest.problem}. "
        "Restore from backup and investigate."
    ]


def register() -> None:
    digest_section_register(
        DigestSection(key="audit.chain", title="Audit record", items=audit_chain_status, order=5)
    )
