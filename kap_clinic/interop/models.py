"""Requests for a copy of a patient's record (HIPAA right of access, 45 CFR 164.524).

The patient is the signed-in user who asked (a patient account), so this package needs no
import of the intake app; the FHIR Patient id is kept to build the copy.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A covered entity acts on a request for access within 30 calendar days (45 CFR 164.524(b)(2);
# CLINICAL.md, Records). One 30-day extension with written notice is allowed.
RIGHT_OF_ACCESS_DAYS = 30


class RecordRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    SENT = "sent", "Sent"


class RecordRequest(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_requests"
    )
    patient_fhir_id = models.CharField(max_length=64)
    recipient_name = models.CharField("provider or practice", max_length=200)
    recipient_contact = models.CharField(
        "where to send it", max_length=300, help_text="Address, secure email or fax number."
    )
    note = models.TextField("anything the clinic should know", blank=True, max_length=2000)
    requested_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=RecordRequestStatus.choices, default=RecordRequestStatus.OPEN
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(sent_at__isnull=False),
                name="record_request_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Record request {self.uuid}"

    @staticmethod
    def due_for(requested_on: date) -> date:
        return requested_on + timedelta(days=RIGHT_OF_ACCESS_DAYS)

    def is_overdue(self, today: date) -> bool:
        return self.status == RecordRequestStatus.OPEN and today > self.due_on


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Waiting for a worker"
    IN_PROGRESS = "in_progress", "Writing files"
    COMPLETED = "completed", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Files deleted (expired)"


class ExportLevel(models.TextChoices):
    SYSTEM = "system", "Whole clinic"
    PATIENT = "patient", "Every patient"
    GROUP = "group", "A group of patients"


class ExportJob(models.Model):
    """A FHIR Bulk Data $export: NDJSON files per resource type, written by a worker in chunks.

    ``progress`` is where the worker stands (type, source, last primary key written, next chunk
    number, counts and file names), saved after each chunk, so a restarted worker resumes there.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    group_id = models.CharField(max_length=64, blank=True)
    request_url = models.URLField(max_length=1000)
    types = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED
    )
    progress = models.JSONField(default=dict)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Export {self.uuid}"
