"""The append-only audit record: who read or changed what, when, and from where."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SIGN_IN = "sign_in", "Sign in"
    SIGN_OUT = "sign_out", "Sign out"
    # A wrong password, and the lockout that follows too many (django-axes).
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    EXPORT = "export", "Export"
    PRINT = "print", "Print"
    # A clinician outside the care team opened a chart in an emergency ("break the glass").
    EMERGENCY_ACCESS = "emergency_access", "Emergency access"
    # A record removed after its retention period; the audit row is its tombstone.
    PURGE = "purge", "Purge"


class AuditEventImmutableError(Exception):
    """Audit rows are written once and never changed or removed."""


class AuditEvent(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, help_text="app_label.model of the object")
    object_id = models.CharField(max_length=64, blank=True, help_text="the object's UUID")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # What was done, in words and ids only: never names, answers or note text.
    detail = models.CharField(max_length=300, blank=True)
    # The hash chain (tamper evidence): rows are numbered without gaps, and each row's hash covers
    # its content and the previous row's hash, so any change, gap or deletion shows in
    # `manage.py audit_verify`. Written by `audit_record` under the chain head's lock.
    sequence = models.PositiveBigIntegerField(unique=True)
    previous_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutableError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditEventImmutableError("Audit events cannot be deleted.")


class AuditChainHead(models.Model):
    """The chain's one head row: the last sequence and hash. Appends lock it, one at a time."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"audit chain head at {self.last_sequence}"


class AuditVerification(models.Model):
    """One run of the chain check (the daily task and `manage.py audit_verify`)."""

    ran_at = models.DateTimeField(default=timezone.now, db_index=True)
    ok = models.BooleanField()
    rows_checked = models.PositiveBigIntegerField(default=0)
    # The first problem found, in words and sequence numbers only.
    problem = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-ran_at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"audit verification {self.ran_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"


class EmergencyAccess(models.Model):
    """Break the glass: a clinician outside the care team opened a chart, for a stated reason.

    Time-limited; while it runs, `kap_clinic.accounts.access.care_team_q` lets the clinician see
    the patient as the care team does. The patient is named by UUID (patients live in intake,
    above this app).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    patient_uuid = models.UUIDField(db_index=True)
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"])]
        default_permissions = ("view",)
        verbose_name_plural = "emergency accesses"

    def __str__(self) -> str:
        return f"emergency access {self.uuid} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
