"""Therapy notes (with addenda and co-signature), psychotherapy notes, reflections and measures."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # When the session itself began and ended: psychotherapy codes are billed on this time
    # (CLINICAL.md, Billing facts), not on the booked slot.
    session_started_at = models.DateTimeField("session started", null=True, blank=True)
    session_ended_at = models.DateTimeField("session ended", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_started_at__isnull=True)
                | Q(session_ended_at__isnull=True)
                | Q(session_ended_at__gt=models.F("session_started_at")),
                name="note_session_ends_after_it_starts",
            ),
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
    BEFORE_INTEGRATION = "before_integration", "Before an integration session"
    MONTH_6 = "month_6", "6 months after"
    ONCE = "once", "Once, at the start"


# What a protocol's schedule may ask for (the others are made by the system: baseline, safety
# follow-up, the PCL-5's monthly rule).
SCHEDULE_OCCASIONS = [
    (MeasureOccasion.BEFORE_DOSE.value, MeasureOccasion.BEFORE_DOSE.label),
    (MeasureOccasion.BEFORE_INTEGRATION.value, MeasureOccasion.BEFORE_INTEGRATION.label),
    (MeasureOccasion.WEEKLY.value, MeasureOccasion.WEEKLY.label),
    (MeasureOccasion.MONTH_1.value, MeasureOccasion.MONTH_1.label),
    (MeasureOccasion.MONTH_3.value, MeasureOccasion.MONTH_3.label),
    (MeasureOccasion.MONTH_6.value, MeasureOccasion.MONTH_6.label),
    (MeasureOccasion.ONCE.value, MeasureOccasion.ONCE.label),
]


class MeasureSchedule(models.Model):
    """One line of a protocol's measure schedule: an instrument on an occasion (issue 12).

    A protocol without lines keeps the default schedule (issue #6).
    """

    protocol = models.ForeignKey(
        "kap_sessions.Protocol", on_delete=models.CASCADE, related_name="measure_schedules"
    )
    instrument_key = models.CharField(
        max_length=20,
        choices=[
            ("phq9", "PHQ-9"),
            ("gad7", "GAD-7"),
            ("pcl5", "PCL-5"),
            ("madrs", "MADRS (clinician-rated)"),
        ],
    )
    occasion = models.CharField(max_length=20, choices=SCHEDULE_OCCASIONS)

    class Meta:
        ordering = ["protocol", "instrument_key", "occasion"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "instrument_key", "occasion"], name="measure_schedule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.get_occasion_display()}"


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


class MeasureEntry(models.Model):
    """A measure a clinician entered: a clinician-rated scale, or a patient's answers given in
    session and recorded on the patient's behalf (issue 12, item 2)."""

    response = models.OneToOneField(
        "intake.InstrumentResponse", on_delete=models.PROTECT, related_name="clinician_entry"
    )
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.PROTECT, related_name="measure_entries"
    )
    measure_request = models.ForeignKey(
        MeasureRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="measure_entries"
    )
    on_behalf_of_patient = models.BooleanField(
        help_text="The patient answered in session and the clinician recorded the answers."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Measure entry {self.pk}"


# --- measurement-based care by course -------------------------------------------------------------


class OutcomePolicy(models.Model):
    """The clinic's measurement-based-care numbers (CLINICAL.md marks each as policy)."""

    # Issue 12: the follow-up window runs to 3 months after the last dose (policy).
    follow_up_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Days after the last dose during which a score still belongs to the course.",
    )
    # Clinic choice (issue silent): a baseline older than this is no baseline for the course.
    baseline_window_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days before the first dose in which a score counts as the course's baseline.",
    )
    # CLINICAL.md: clinically meaningful change on the PHQ-9 is >= 5 points (policy).
    deterioration_rise = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(27)],
        help_text="A PHQ-9 rise of this much from the previous score is a deterioration.",
    )
    # Issue 12: no 25 % improvement after the policy number of doses is non-response.
    non_response_doses = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Doses after which a PHQ-9 without enough improvement is flagged.",
    )
    non_response_improvement_percent = models.PositiveSmallIntegerField(
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Improvement from baseline (percent) expected after that number of doses.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "outcome policy"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="outcome_policy_singleton")]

    def __str__(self) -> str:
        return "Outcome policy"

    @classmethod
    def get(cls) -> OutcomePolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy


class RemissionRule(models.TextChoices):
    NONE = "", "Not defined"
    BELOW = "below", "Below"
    AT_OR_BELOW = "at_or_below", "At or below"


class OutcomeDefinition(models.Model):
    """Response and remission of one instrument, as data a clinician can correct (CLINICAL.md)."""

    instrument_key = models.CharField(max_length=20, unique=True)
    response_fall_percent = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    remission_rule = models.CharField(
        max_length=20, choices=RemissionRule.choices, blank=True, default=RemissionRule.NONE
    )
    remission_value = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=300)
    verified = models.BooleanField(
        default=True, help_text="Unticked when CLINICAL.md marks the figure for local verification."
    )

    class Meta:
        ordering = ["instrument_key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remission_rule="", remission_value__isnull=True)
                | (~Q(remission_rule="") & Q(remission_value__isnull=False)),
                name="outcome_definition_remission_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Outcome definition {self.instrument_key}"


class Phase(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    TREATMENT = "treatment", "End of treatment"
    FOLLOW_UP = "follow_up", "Follow-up"


class ExclusionReason(models.TextChoices):
    INCLUDED = "", "Included"
    NO_DOSE = "no_dose", "No dosing session"
    NO_BASELINE = "no_baseline", "No baseline score before the first dose"
    NO_END = "no_end", "No score after the first dose"
    ZERO_BASELINE = "zero_baseline", "Baseline of 0: no fall is possible"


class CourseOutcomeSummary(models.Model):
    """One course's outcome on one instrument: the summary table behind the outcomes page.

    Written only by ``outcomes_refresh`` (a Celery task, on a schedule and when a course
    completes); the page reads it with a fixed number of queries at any size.
    """

    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.CASCADE, related_name="outcome_summaries"
    )
    instrument_key = models.CharField(max_length=20)
    # Copied from the course so the page groups without joins.
    protocol = models.ForeignKey(
        "kap_sessions.Protocol", on_delete=models.PROTECT, related_name="+"
    )
    route = models.CharField(max_length=30)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    diagnosis = models.CharField(max_length=120, blank=True)
    start_date = models.DateField()
    baseline_total = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_at = models.DateTimeField(null=True, blank=True)
    end_total = models.PositiveSmallIntegerField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    end_phase = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    change = models.SmallIntegerField(null=True, blank=True)
    response = models.BooleanField(null=True)
    remission = models.BooleanField(null=True)
    excluded_reason = models.CharField(
        max_length=20, choices=ExclusionReason.choices, blank=True, default=""
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument_key"], name="course_outcome_once_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} outcome of course {self.course_id}"


# Practices between sessions live in their own sub-package; imported here so Django finds them.
from integration.practices.models import (  # noqa: E402, F401
    CoursePhase,
    Practice,
    PracticeCompletion,
    PracticeKind,
    PracticeProgramme,
    ProgrammeAssignment,
)


class RatingOccasion(models.TextChoices):
    BASELINE = "baseline", "Baseline (before the first dose)"
    DURING_COURSE = "during_course", "During the course"
    END_OF_COURSE = "end_of_course", "End of the course"


class ClinicianRating(models.Model):
    """Who rated a clinician-rated instrument (MADRS) and when in the course. The score itself is
    an intake InstrumentResponse, the same store as the patients' measures, so outcomes count it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.OneToOneField(
        "intake.InstrumentResponse", on_delete=models.PROTECT, related_name="clinician_rating"
    )
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.PROTECT, related_name="clinician_ratings"
    )
    occasion = models.CharField(max_length=20, choices=RatingOccasion.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rated_at", "id"]

    def __str__(self) -> str:
        return f"Clinician rating {self.uuid}"


# Supervision of trainees lives in its own sub-package; imported here so Django finds it.
from integration.supervision.models import (  # noqa: E402, F401
    HoursGoal,
    NoteSupervision,
    NoteVersion,
    ReviewComment,
    SupervisionMeeting,
    SupervisionRelationship,
    SupervisionReport,
)
