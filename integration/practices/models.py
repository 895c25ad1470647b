"""Practices between sessions: programmes a clinic writes, attached to a course's phases."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class PracticeKind(models.TextChoices):
    MINDFULNESS = "mindfulness", "Mindfulness"
    BREATHING = "breathing", "Breathing"
    JOURNALING = "journaling", "Journaling prompt"
    SKILL = "skill", "Skill building"


class CoursePhase(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    INTEGRATION = "integration", "Integration"


class PracticeProgramme(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        app_label = "integration"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Practice(models.Model):
    """One day's practice of a programme (day 1 is the day the programme starts)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        PracticeProgramme, on_delete=models.CASCADE, related_name="practices"
    )
    day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    kind = models.CharField(max_length=20, choices=PracticeKind.choices)
    title = models.CharField(max_length=120)
    instructions = models.TextField()
    minutes = models.PositiveSmallIntegerField(default=10)

    class Meta:
        app_label = "integration"
        ordering = ["programme", "day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "day"], name="practice_once_per_day")
        ]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.title}"


class ProgrammeAssignment(models.Model):
    """A programme attached to one phase of a course, from a start date."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.CASCADE, related_name="practice_programmes"
    )
    programme = models.ForeignKey(
        PracticeProgramme, on_delete=models.PROTECT, related_name="assignments"
    )
    phase = models.CharField(max_length=20, choices=CoursePhase.choices)
    starts_on = models.DateField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "integration"
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "phase"], name="one_programme_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.programme} ({self.get_phase_display()})"


class PracticeCompletion(models.Model):
    assignment = models.ForeignKey(
        ProgrammeAssignment, on_delete=models.CASCADE, related_name="completions"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "integration"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "practice"], name="practice_done_once")
        ]

    def __str__(self) -> str:
        return f"{self.practice} done"
