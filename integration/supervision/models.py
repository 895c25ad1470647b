"""Supervision of trainees: relationships, per-note review, versions, comments and meetings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class SupervisionKind(models.TextChoices):
    PRACTICUM = "practicum", "Practicum"
    PRE_LICENSURE = "pre_licensure", "Pre-licensure"
    FELLOWSHIP = "fellowship", "Fellowship"


class SupervisionMode(models.TextChoices):
    COSIGN = "cosign", "Co-sign every note"
    REVIEW = "review", "Review and approve"
    SAMPLE = "sample", "Sample review"


class SupervisionRelationship(models.Model):
    """Who supervises whom, how, and for which dates (end date inclusive; open when empty)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisions_received"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisions_given"
    )
    kind = models.CharField(max_length=20, choices=SupervisionKind.choices)
    mode = models.CharField(max_length=20, choices=SupervisionMode.choices)
    sample_percent = models.PositiveSmallIntegerField(
        "share of notes reviewed (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisee=F("supervisor")), name="supervision_not_oneself"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="supervision_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(mode="sample") | Q(sample_percent__isnull=False),
                name="supervision_sample_has_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} supervision {self.uuid}"


class ReviewState(models.TextChoices):
    NOT_REQUIRED = "not_required", "No review needed"
    PENDING = "pending", "Awaiting the supervisor"
    RETURNED = "returned", "Returned for revision"
    APPROVED = "approved", "Approved"


class NoteSupervision(models.Model):
    """The supervision a note falls under: decided when the author first signs it."""

    note = models.OneToOneField(
        "integration.Note", on_delete=models.PROTECT, related_name="supervision"
    )
    relationship = models.ForeignKey(
        SupervisionRelationship,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(max_length=20, choices=SupervisionMode.choices)
    # Sample review: the random draw (0-99) and the percentage in force, kept for the record.
    sample_draw = models.PositiveSmallIntegerField(null=True, blank=True)
    sample_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=ReviewState.choices)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Supervision of note {self.note_id}"


class NoteVersion(models.Model):
    """Each text the author submitted for signature; kept with the note, never in the record."""

    note = models.ForeignKey("integration.Note", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    content_hash = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="note_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of note {self.note_id}"


class ReviewComment(models.Model):
    """A supervisor's comment on one section of one version of a note."""

    note = models.ForeignKey(
        "integration.Note", on_delete=models.PROTECT, related_name="review_comments"
    )
    version = models.ForeignKey(NoteVersion, on_delete=models.PROTECT, related_name="comments")
    section = models.CharField(max_length=200)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on note {self.note_id}"


class MeetingFormat(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    GROUP = "group", "Group"


class SupervisionMeeting(models.Model):
    """A supervision meeting: cases are named by MRN only, never by patient name."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supervisees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    held_on = models.DateField()
    format = models.CharField(max_length=20, choices=MeetingFormat.choices)
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    case_mrns = models.TextField("cases discussed (MRNs)", blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"Supervision meeting {self.uuid}"


class SupervisionReport(models.Model):
    """A supervisee's hours and supervision over a period, signed by supervisee and supervisor.

    The hours are frozen when the report is drawn up, so both sign the same figures.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    relationship = models.ForeignKey(
        SupervisionRelationship, on_delete=models.PROTECT, related_name="reports"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    direct_minutes = models.PositiveIntegerField()
    indirect_minutes = models.PositiveIntegerField()
    meeting_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    supervisee_signed_at = models.DateTimeField(null=True, blank=True)
    supervisor_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="supervision_report_period"
            )
        ]

    def __str__(self) -> str:
        return f"Supervision report {self.uuid}"

    @property
    def direct_hours(self) -> float:
        return round(self.direct_minutes / 60, 2)

    @property
    def indirect_hours(self) -> float:
        return round(self.indirect_minutes / 60, 2)

    @property
    def is_signed_by_both(self) -> bool:
        return self.supervisee_signed_at is not None and self.supervisor_signed_at is not None


class HoursGoal(models.Model):
    """The hours a supervisee aims to reach under one supervision (set by the supervisee)."""

    relationship = models.OneToOneField(
        SupervisionRelationship, on_delete=models.CASCADE, related_name="hours_goal"
    )
    direct_hours = models.PositiveIntegerField("direct clinical hours goal", default=0)
    indirect_hours = models.PositiveIntegerField("indirect hours goal", default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(direct_hours__gt=0) | Q(indirect_hours__gt=0),
                name="supervision_hours_goal_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"Hours goal {self.relationship_id}"
