"""Retention: deactivating keeps the record; after the policy's years two admins may purge it.

The purge deletes every row that belongs to the patient, whichever app holds it, by following
the database's own relations (each row that protects another is deleted first), so this module
imports no app above intake. What remains is the audit record: its rows name objects by id only,
and the purge adds a tombstone row (action "purge").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.utils import timezone

from intake.models import Patient, PatientPurge, PatientPurgeStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, EmergencyAccess
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.models import Message

MAX_PURGE_ROUNDS = 50


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """Records deactivated before this moment are past the retention period."""
    now = now or timezone.now()
    return now - timedelta(days=round(365.25 * settings.RECORD_RETENTION_YEARS))


def patients_past_retention(*, now: datetime | None = None) -> QuerySet[Patient]:
    return Patient.objects.filter(deactivated_at__lt=retention_cutoff(now=now)).order_by(
        "deactivated_at"
    )


def _require_admin(user: User) -> None:
    if not user.is_active or user.role != Role.CLINIC_ADMIN:
        raise ValidationError("Only clinic admins manage retention.")


@transaction.atomic
def patient_deactivate(*, patient: Patient, by: User) -> Patient:
    """Closes the record: the patient's sign-in stops, every row stays."""
    _require_admin(by)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.deactivated_at is not None:
        raise ValidationError("This record is already deactivated.")
    patient.deactivated_at = timezone.now()
    patient.save(update_fields=["deactivated_at"])
    if patient.user_id is not None:
        User.objects.filter(pk=patient.user_id).update(is_active=False)
    audit_record(action=AuditAction.UPDATE, actor=by, obj=patient, detail="record deactivated")
    return patient


@transaction.atomic
def patient_purge_request(*, patient: Patient, by: User) -> PatientPurge:
    """The first of two admins asks to purge a record past its retention period."""
    _require_admin(by)
    if not patients_past_retention().filter(pk=patient.pk).exists():
        raise ValidationError(
            f"Only records deactivated more than {settings.RECORD_RETENTION_YEARS} years ago "
            "can be purged."
        )
    if PatientPurge.objects.filter(
        patient_uuid=patient.uuid, status=PatientPurgeStatus.REQUESTED
    ).exists():
        raise ValidationError("A purge of this record is already waiting for confirmation.")
    purge = PatientPurge.objects.create(patient_uuid=patient.uuid, requested_by=by)
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=patient, detail=f"purge {purge.uuid} requested"
    )
    return purge


@transaction.atomic
def patient_purge_cancel(*, purge: PatientPurge, by: User) -> PatientPurge:
    _require_admin(by)
    purge = PatientPurge.objects.select_for_update().get(pk=purge.pk)
    if purge.status != PatientPurgeStatus.REQUESTED:
        raise ValidationError("This purge is no longer waiting.")
    purge.status = PatientPurgeStatus.CANCELLED
    purge.save(update_fields=["status"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="intake.patient",
        object_id=str(purge.patient_uuid),
        detail=f"purge {purge.uuid} cancelled",
    )
    return purge


@transaction.atomic
def patient_purge_confirm(*, purge: PatientPurge, by: User) -> PatientPurge:
    """A second admin confirms: every row of the patient is deleted; the audit keeps a tombstone."""
    _require_admin(by)
    purge = PatientPurge.objects.select_for_update().get(pk=purge.pk)
    if purge.status != PatientPurgeStatus.REQUESTED:
        raise ValidationError("This purge is no longer waiting.")
    if purge.requested_by_id == by.pk:
        raise ValidationError("A second clinic admin must confirm the purge.")
    patient = patients_past_retention().select_for_update().filter(uuid=purge.patient_uuid).first()
    if patient is None:
        raise ValidationError("This record is not past its retention period.")
    sign_in = patient.user
    Message.objects.filter(recipient_kind="patient", recipient_id=str(patient.uuid)).delete()
    if sign_in is not None:
        Message.objects.filter(recipient_user=sign_in).delete()
    # The emergency-access reasons may describe the patient; the audit rows of those accesses stay.
    EmergencyAccess.objects.filter(patient_uuid=patient.uuid).delete()
    _delete_with_dependents(Patient.objects.filter(pk=patient.pk))
    if sign_in is not None:
        # The sign-in may be named by audit rows (actor), so it stays, emptied of the person.
        sign_in.email = f"purged-{sign_in.uuid}@invalid.example"
        sign_in.full_name = "Purged record"
        sign_in.is_active = False
        sign_in.set_unusable_password()
        sign_in.save(update_fields=["email", "full_name", "is_active", "password"])
    purge.status = PatientPurgeStatus.DONE
    purge.confirmed_by = by
    purge.confirmed_at = timezone.now()
    purge.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(
        action=AuditAction.PURGE,
        actor=by,
        object_type="intake.patient",
        object_id=str(purge.patient_uuid),
        detail=(
            f"record purged after retention: purge {purge.uuid}, requested by "
            f"{purge.requested_by.uuid}, confirmed by {by.uuid}"
        ),
    )
    return purge


def _delete_with_dependents(queryset: QuerySet[Any]) -> None:
    """Deletes ``queryset``; rows that protect it (PROTECT/RESTRICT) are deleted first, in turn.

    Only rows pointing at the patient's rows are reached: shared set-up (rooms, protocols, staff)
    is pointed at, never pointing, so it is never deleted. Caller holds a transaction.
    """
    for _ in range(MAX_PURGE_ROUNDS):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as error:
            blockers: set[Model] = set(
                getattr(error, "protected_objects", None)
                or getattr(error, "restricted_objects", None)
                or ()
            )
            by_model: dict[type[Model], list[Any]] = defaultdict(list)
            for blocker in blockers:
                by_model[type(blocker)].append(blocker.pk)
            for model, pks in by_model.items():
                _delete_with_dependents(model._default_manager.filter(pk__in=pks))
    raise RuntimeError("The purge did not finish: rows keep protecting each other.")
