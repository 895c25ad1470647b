"""Secure messages between a patient and their care team: threads of plain-text messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# Long enough for a careful message, short enough to read on a phone (no attachments).
MESSAGE_MAX = 4000


class Thread(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="threads")
    subject = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return f"Thread {self.uuid}"


class ThreadMessage(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.uuid}"

    @property
    def from_patient(self) -> bool:
        return bool(self.author.is_patient)
