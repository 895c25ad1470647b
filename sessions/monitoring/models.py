"""Monitoring on the dosing day: vital-sign alerts, rooms' emergency checklists and the
follow-up of adverse events. Imported by ``sessions.models`` (app label ``kap_sessions``)."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone


class VitalsAlertKind(models.TextChoices):
    SYSTOLIC_RISE = "systolic_rise", "Systolic rise from baseline"
    DIASTOLIC_RISE = "diastolic_rise", "Diastolic rise from baseline"
    SYSTOLIC_HIGH = "systolic_high", "Systolic BP high"
    DIASTOLIC_HIGH = "diastolic_high", "Diastolic BP high"
    SPO2_LOW = "spo2_low", "SpO2 low"
    HEART_RATE_HIGH = "heart_rate_high", "Heart rate high"
    HEART_RATE_LOW = "heart_rate_low", "Heart rate low"
    RESPIRATORY_RATE_LOW = "respiratory_rate_low", "Respiratory rate low"


class VitalsAlert(models.Model):
    """One reading past one limit; open until a clinician acknowledges it with the action taken."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dosing_record = models.ForeignKey(
        "kap_sessions.DosingRecord", on_delete=models.PROTECT, related_name="alerts"
    )
    vitals = models.ForeignKey(
        "kap_sessions.VitalsEntry", on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=30, choices=VitalsAlertKind.choices)
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vitals", "kind"], name="vitals_alert_once_per_kind"),
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True) | ~models.Q(action_taken=""),
                name="vitals_alert_acknowledged_with_action",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class RoomEmergencyCheck(models.Model):
    """A room's emergency readiness on one local day, checked before its first dose."""

    # The equipment every room needs (issue 11; CLINICAL.md: a pulse oximeter for esketamine).
    EQUIPMENT = (
        ("pulse_oximeter", "Pulse oximeter working"),
        ("blood_pressure_cuff", "Blood pressure cuff working"),
        ("oxygen", "Oxygen available and full"),
        ("suction", "Suction working"),
        ("aed", "AED (defibrillator) charged"),
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.ForeignKey(
        "kap_sessions.Room", on_delete=models.PROTECT, related_name="emergency_checks"
    )
    day = models.DateField()
    pulse_oximeter = models.BooleanField(default=False)
    blood_pressure_cuff = models.BooleanField(default=False)
    oxygen = models.BooleanField(default=False)
    suction = models.BooleanField(default=False)
    aed = models.BooleanField(default=False)
    # The policy's rescue medicines at the time of the check, and those confirmed present.
    rescue_medicines_required = models.JSONField(default=list)
    rescue_medicines_present = models.JSONField(default=list)
    notes = models.CharField(max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "room__name"]
        constraints = [
            models.UniqueConstraint(fields=["room", "day"], name="room_emergency_check_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Emergency check {self.day:%Y-%m-%d}"

    @property
    def missing(self) -> list[str]:
        missing = [label for name, label in self.EQUIPMENT if not getattr(self, name)]
        present = set(self.rescue_medicines_present)
        missing += [name for name in self.rescue_medicines_required if name not in present]
        return missing

    @property
    def is_complete(self) -> bool:
        return not self.missing


class AdverseEventFollowUp(models.Model):
    """A task that an adverse event leaves behind (a call, a referral, a report)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    adverse_event = models.ForeignKey(
        "kap_sessions.AdverseEvent", on_delete=models.PROTECT, related_name="follow_ups"
    )
    task = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.task

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_on is not None and self.due_on < today
