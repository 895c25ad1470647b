"""Patients: who they are, how to reach them, their care team and where they are in the journey."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kap_clinic.notifications.models import Channel
from kap_clinic.timezones import clinic_time_zone


class PatientStatus(models.TextChoices):
    """Where a patient is in the journey (issue #10). The intake stages are stored by intake's
    services; the treatment stages are derived from the record by the one status function
    (``kap_clinic.chart.patients_with_status``, provided by the sessions app)."""

    INVITED = "invited", "Invited"
    INTAKE_IN_PROGRESS = "intake_in_progress", "Intake in progress"
    SUBMITTED = "submitted", "Intake submitted"
    SCREENED = "screened", "Screened"
    CLEARED = "cleared", "Cleared"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    DECLINED = "declined", "Declined treatment"
    IN_TREATMENT = "in_treatment", "In treatment"
    MAINTENANCE = "maintenance", "Maintenance"
    COMPLETED = "completed", "Course completed"
    INACTIVE = "inactive", "Inactive"
    DISCHARGED = "discharged", "Discharged from the practice"


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


MRN_DIGITS = 6
SEARCH_SOURCES = frozenset(
    {"legal_first_name", "legal_last_name", "preferred_name", "email", "mobile"}
)


def mrn_next() -> str:
    """The next medical record number: the clinic's own short number, in order of creation.

    A concurrent creation that takes the same number fails on the unique constraint (and is
    retried by whoever created it); patients are created one at a time by staff or invitations.
    """
    latest = Patient.objects.aggregate(latest=models.Max("mrn"))["latest"]
    number = int(latest) + 1 if latest and latest.isdigit() else 1
    return str(number).zfill(MRN_DIGITS)


class Patient(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Medical record number: short, human-readable, shown and searchable; URLs keep the UUID.
    mrn = models.CharField("MRN", max_length=12, unique=True, default=mrn_next, editable=False)
    # The patient's own sign-in, once they have accepted an invitation.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient_record",
    )
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=20, choices=SexAtBirth.choices, blank=True)
    gender = models.CharField(max_length=100, blank=True)
    email = models.EmailField()
    mobile = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    reminder_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    time_zone = models.CharField(max_length=64, default=clinic_time_zone)
    status = models.CharField(
        max_length=30, choices=PatientStatus.choices, default=PatientStatus.INVITED
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients_as_prescriber",
        limit_choices_to={"role": "prescriber"},
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients_as_therapist",
        limit_choices_to={"role": "therapist"},
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Discharge from the practice (or a patient declining treatment), with the reason.
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Names (without accents), email and phone digits, for the search box (intake.search).
    search_text = models.CharField(max_length=600, blank=True, editable=False)
    # Deactivated: no sign-in and no new bookings, the record kept whole (retention, README).
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        indexes = [
            models.Index(fields=["legal_last_name", "legal_first_name"]),
            models.Index(fields=["date_of_birth"]),
        ]
        permissions = [("view_clinical_record", "Can view clinical content of a patient's record")]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The search text is this row's own derived column, kept in step with its sources.
        from intake.search import search_text

        self.search_text = search_text(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCH_SOURCES & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def status_label(self) -> str:
        """The status in clinic words: the derived one when the queryset was annotated with it
        (``kap_clinic.chart.patients_with_status``), else the stored intake stage."""
        return PatientStatus(getattr(self, "lifecycle", None) or self.status).label

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday


class ProviderKind(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    PRIMARY_CARE = "primary_care", "Primary care"


class OutsideProvider(models.Model):
    """A provider outside the clinic who already cares for the patient."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="outside_providers")
    kind = models.CharField(max_length=20, choices=ProviderKind.choices)
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True)
    consent_to_coordinate = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class FindingAction(models.TextChoices):
    EXCLUDE = "exclude", "Exclude"
    REVIEW = "review", "Physician review"


def _action_field(condition: str) -> models.CharField:
    return models.CharField(
        max_length=10,
        choices=FindingAction.choices,
        default=FindingAction.REVIEW,
        # CLINICAL.md, "Exclusions and review triggers": exclusion or physician review is policy.
        help_text=f"{condition}: exclude, or send to physician review (policy, CLINICAL.md).",
    )


class ClinicPolicy(models.Model):
    """The clinic's own intake thresholds (the numbers CLINICAL.md marks as policy); one row."""

    # CLINICAL.md, Instruments: PCL-5 probable PTSD at 31-33; the cut-point is policy (default 33).
    pcl5_cut_point = models.PositiveSmallIntegerField(
        default=33,
        validators=[MinValueValidator(1), MaxValueValidator(80)],
        help_text="PCL-5 total at or above which PTSD is probable (CLINICAL.md: 31-33, policy).",
    )
    # CLINICAL.md, Exclusions: some programmes accept at least 1 year of abstinence.
    substance_abstinence_months = models.PositiveSmallIntegerField(
        default=12,
        help_text=(
            "Months without use after which past substance use is a note, not a finding "
            "(CLINICAL.md: some programmes accept at least 1 year)."
        ),
    )
    # Clinic practice: how long an emailed invitation link stays valid (issue #4: 7 days).
    invitation_lifetime_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days an invitation link stays valid (policy, default 7).",
    )
    psychosis_action = _action_field("Primary psychotic disorder / schizophrenia")
    mania_action = _action_field("Current manic or mixed episode")
    uncontrolled_hypertension_action = _action_field("Uncontrolled hypertension")
    cardiac_disease_action = _action_field("Significant cardiac disease")
    pregnancy_action = _action_field("Pregnancy or breastfeeding")
    substance_use_action = _action_field("Active substance use disorder")
    liver_disease_action = _action_field("Severe liver disease")
    intracranial_pressure_action = _action_field("Raised intracranial pressure")
    hyperthyroidism_action = _action_field("Uncontrolled hyperthyroidism")
    ketamine_cystitis_action = _action_field("History of ketamine-associated cystitis")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "clinic policy"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="clinic_policy_singleton")]

    def __str__(self) -> str:
        return "Intake policy"

    @classmethod
    def get(cls) -> ClinicPolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy


class Invitation(models.Model):
    """A signed, single-use, expiring link that lets a patient set a password and start intake."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.uuid}"

    def is_usable(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and moment < self.expires_at


class InvitationRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class InvitationRequest(models.Model):
    """A prospective patient's request from the public page; no account until staff accept."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField()
    reason = models.TextField(max_length=2000)
    # Kept for rate limiting the public page only.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        max_length=10,
        choices=InvitationRequestStatus.choices,
        default=InvitationRequestStatus.PENDING,
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SUPERSEDED = "superseded", "Superseded by a correction"


class IntakeForm(models.Model):
    """One version of a patient's intake; answers are a JSON object per wizard step.

    Submitting locks a version. A staff correction makes a new version and supersedes the old,
    which is kept.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="intakes")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=IntakeStatus.choices, default=IntakeStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="intake_version_unique"),
            models.UniqueConstraint(
                fields=["patient"],
                condition=~Q(status="superseded"),
                name="intake_one_current_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="intake_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake v{self.version}"

    @property
    def is_locked(self) -> bool:
        return self.status != IntakeStatus.DRAFT


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Informed consent to ketamine-assisted psychotherapy"
    COMMUNICATIONS = "communications", "Consent to communications"
    TELEHEALTH = "telehealth", "Consent to telehealth"


class ConsentDocument(models.Model):
    """Clinic-editable consent text; each edit is a new version, and signatures keep theirs."""

    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="consent_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ConsentSignature(models.Model):
    intake = models.ForeignKey(IntakeForm, on_delete=models.CASCADE, related_name="signatures")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    agreed = models.BooleanField()
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["document__kind"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "document"], name="consent_signed_once"),
            models.CheckConstraint(condition=Q(agreed=True), name="consent_signature_agreed"),
        ]

    def __str__(self) -> str:
        return f"{self.typed_name} signed {self.document}"


class InstrumentResponse(models.Model):
    """Scored answers to one instrument; keeps the instrument version it was scored with."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="instrument_responses"
    )
    intake = models.ForeignKey(
        IntakeForm, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    instrument_key = models.CharField(max_length=20)
    instrument_version = models.CharField(max_length=40)
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=30)
    band_label = models.CharField(max_length=60)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "instrument_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "instrument_key"],
                condition=Q(intake__isnull=False),
                name="response_once_per_intake",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.total} ({self.band_label})"


class FindingSeverity(models.TextChoices):
    EXCLUDE = "exclude", "Exclude"
    REVIEW = "review", "Review"
    NOTE = "note", "Note"


class Finding(models.Model):
    """What a screening rule concluded from the answers, with those answers as evidence."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    intake = models.ForeignKey(IntakeForm, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(max_length=10, choices=FindingSeverity.choices)
    code = models.CharField(max_length=60)
    message = models.CharField(max_length=300)
    # [{"question": ..., "answer": ...}] exactly as the patient answered.
    evidence = models.JSONField(default=list)
    is_safety = models.BooleanField(default=False)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["severity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "code"], name="finding_once_per_intake"),
            models.CheckConstraint(
                condition=Q(overridden_by__isnull=True) | ~Q(override_reason=""),
                name="finding_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity}: {self.code}"

    @property
    def is_overridden(self) -> bool:
        return self.overridden_by_id is not None


class Decision(models.TextChoices):
    CLEARED = "cleared", "Cleared"
    NOT_CLEARED = "not_cleared", "Not cleared"
    NEEDS_INFORMATION = "needs_information", "Needs more information"


class Assessment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    # The intake version this assessment reviewed; a later correction needs a new assessment.
    intake = models.ForeignKey(IntakeForm, on_delete=models.PROTECT, related_name="+")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField(blank=True)
    exclude_override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A trainee's clearance counts only once their supervisor co-signs it (issue #19, Scope).
    cosignature_required_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.created_at:%Y-%m-%d})"

    @property
    def awaits_cosignature(self) -> bool:
        return self.cosignature_required_from_id is not None and self.cosigned_at is None


class MedicalAssessment(Assessment):
    """The prescriber's medical assessment."""

    blood_pressure_systolic = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(300)]
    )
    blood_pressure_diastolic = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(20), MaxValueValidator(200)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    oxygen_saturation = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(20)), MaxValueValidator(Decimal(400))],
    )
    history_review = models.TextField()

    class Meta(Assessment.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="cleared") | ~Q(reason=""), name="medical_decision_has_reason"
            )
        ]


class ClinicalAssessment(Assessment):
    """The therapist's clinical (mental-health) assessment."""

    working_diagnoses = models.TextField(blank=True)

    class Meta(Assessment.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="cleared") | ~Q(reason=""),
                name="clinical_decision_has_reason",
            )
        ]


class Alert(models.Model):
    """A safety alert for the care team, shown on their landing page until acknowledged."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="alert")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class PatientDetailsChange(models.Model):
    """A change a patient made to their own contact details from the portal (issue 10, item 12).

    Kept so staff see on the chart what changed and when; ``changes`` maps each changed field to
    its old and new value (the record itself, never logs or audit details).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="details_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"Details change {self.uuid}"


# Secure messages live in their own sub-package; their models belong to this app.
from intake.conversations.models import Thread, ThreadMessage  # noqa: E402, F401


class PatientPurgeStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for a second admin"
    DONE = "done", "Purged"
    CANCELLED = "cancelled", "Cancelled"


class PatientPurge(models.Model):
    """Two-person purge of a record past its retention period: one admin asks, another confirms.

    Names the patient by UUID, so the row outlives the record as part of its tombstone.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_uuid = models.UUIDField(db_index=True)
    status = models.CharField(
        max_length=10, choices=PatientPurgeStatus.choices, default=PatientPurgeStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient_uuid"],
                condition=models.Q(status="requested"),
                name="patient_purge_one_open_request",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_by__isnull=True)
                | ~models.Q(confirmed_by=models.F("requested_by")),
                name="patient_purge_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"Purge {self.uuid} ({self.status})"
