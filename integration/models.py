"""Therapy notes (with addenda and co-signature), psychotherapy notes, reflections and measures."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NoteKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    DOSING = "dosing", "Dosing (therapist's observations)"
    INTEGRATION = "integration", "Integration"


class NoteTemplate(models.Model):
    """A clinic-editable note layout: a name and its section headings, one per line."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=NoteKind.choices)
    name = models.CharField(max_length=120)
    sections = models.TextField(help_text="one section heading per line")
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_default=True), name="note_template_one_default"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def skeleton(self) -> str:
        """The starting text of a note: each heading followed by an empty line."""
        headings = [line.strip() for line in self.sections.splitlines() if line.strip()]
        return "\n\n".join(f"{heading}:\n" for heading in headings)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Note(models.Model):
    """A progress note of one appointment; part of the record once signed (CLINICAL.md)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="notes")
    appointment = models.ForeignKey(
        "kap_sessions.Appointment", on_delete=models.PROTECT, related_name="notes"
    )
    course = models.ForeignKey(
        "kap_sessions.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    kind = models.CharField(max_length=20, choices=NoteKind.choices)
    template = models.ForeignKey(
        NoteTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # Set when the author was supervised at signing: the note is final once co-signed.
    cosignature_required_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "author"], name="note_one_per_author"),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(content_hash=""),
                name="note_signed_has_hash",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_at__isnull=True) | Q(signed_at__isnull=False),
                name="note_cosigned_after_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} note {self.uuid}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_final(self) -> bool:
        if not self.is_signed:
            return False
        return self.cosignature_required_from_id is None or self.cosigned_at is not None

    @property
    def status_label(self) -> str:
        if not self.is_signed:
            return "Draft"
        if not self.is_final:
            return "Signed, awaiting co-signature"
        return "Final"

    @property
    def hash_matches(self) -> bool:
        return self.is_signed and content_hash(self.body) == self.content_hash


class NoteAddendum(models.Model):
    """A later change to a signed note: its own text, signed when written."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"Addendum {self.uuid}"


class PsychotherapyNote(models.Model):
    """Process notes kept apart from the record (45 CFR 164.501, CLINICAL.md): author only."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "kap_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Psychotherapy note {self.uuid}"


class PsychotherapyNoteVersion(models.Model):
    """The text a psychotherapy note had before an edit: kept, and read by the author only."""

    note = models.ForeignKey(PsychotherapyNote, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    # When this text was written (the note's created_at, or the edit that produced it).
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="psychotherapy_version_unique")
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of psychotherapy note {self.note_id}"


class ReflectionPrompt(models.Model):
    """A question the clinic offers patients to write about between sessions."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text


class Reflection(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="reflections"
    )
    course = models.ForeignKey(
        "kap_sessions.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reflections",
    )
    prompt = models.ForeignKey(
        ReflectionPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    shared_with_therapist = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reflection {self.uuid}"


class MeasureOccasion(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    FOLLOW_UP = "follow_up", "Safety follow-up"
    BEFORE_DOSE = "before_dose", "Before a dosing session"
    WEEKLY = "weekly", "Weekly during the course"
    MONTH_1 = "month_1", "1 month after"
    MONTH_3 = "month_3", "3 months after"
    MONTHLY = "monthly", "Monthly (PCL-5)"


class MeasureRequest(models.Model):
    """One measure due from a patient, answered once through a single-use expiring link."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="measure_requests"
    )
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.PROTECT, related_name="measure_requests"
    )
    instrument_key = models.CharField(max_length=20)
    occasion = models.CharField(max_length=20, choices=MeasureOccasion.choices)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        "intake.InstrumentResponse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measure_request",
    )

    class Meta:
        ordering = ["due_at", "instrument_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument_key", "occasion", "due_at"],
                name="measure_request_once",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("due_at")), name="measure_expires_after_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.get_occasion_display()} {self.due_at:%Y-%m-%d}"
