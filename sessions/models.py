"""Where and when care happens, and what happens on a dosing day.

Set-up data (locations, rooms, hours, protocols, dosing policy), treatment courses and their
appointments, and the dosing record: readiness, doses, monitoring and discharge.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from kap_clinic.timezones import clinic_time_zone

# ------------------------------------------------------------------------------------------------
# Set-up data


class PlaceOfService(models.TextChoices):
    """CMS place-of-service codes a KAP clinic bills with (CLINICAL.md, Billing facts)."""

    OFFICE = "11", "11 Office"
    TELEHEALTH = "02", "02 Telehealth (not in the patient's home)"
    TELEHEALTH_HOME = "10", "10 Telehealth in the patient's home"
    OUTPATIENT_HOSPITAL = "22", "22 On-campus outpatient hospital"
    COMMUNITY_MENTAL_HEALTH = "53", "53 Community mental health center"


class Location(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    place_of_service = models.CharField(
        "place of service",
        max_length=2,
        choices=PlaceOfService.choices,
        default=PlaceOfService.OFFICE,
    )
    time_zone = models.CharField(max_length=64, default=clinic_time_zone)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CertificationKind(models.TextChoices):
    ESKETAMINE_REMS = "esketamine_rems", "Esketamine (Spravato) REMS healthcare setting"
    DEA_SITE = "dea_site", "DEA registration of the site"
    STATE_FACILITY = "state_facility", "State facility licence"
    CLIA_WAIVER = "clia_waiver", "CLIA certificate of waiver"
    OTHER = "other", "Other certification"


class SiteCertification(models.Model):
    """A certification held by a location (the esketamine REMS one lets it dose esketamine)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=30, choices=CertificationKind.choices)
    number = models.CharField("certification number", max_length=60)
    issuer = models.CharField(max_length=120)
    issued_on = models.DateField("issued on", null=True, blank=True)
    expires_on = models.DateField("expires on")

    class Meta:
        ordering = ["location__name", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "issuer", "number"], name="site_certification_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="site_certification_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: Any) -> bool:
        return (self.issued_on is None or self.issued_on <= day) and day <= self.expires_on


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """When a location is open on one weekday, in the location's own time zone."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens_at"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="opening_hours_close_after_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class RoomKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment room"
    CONSULTATION = "consultation", "Consultation room"
    TELEHEALTH = "telehealth", "Telehealth (virtual)"


class Room(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RoomKind.choices, default=RoomKind.TREATMENT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location.name}: {self.name}"

    @property
    def is_virtual(self) -> bool:
        """A telehealth room holds any number of calls; a physical room holds one patient."""
        return self.kind == RoomKind.TELEHEALTH


class StaffWorkingHours(models.Model):
    """When a clinician works at a location on one weekday (location time)."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="staff_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["staff", "weekday", "starts_at"]
        verbose_name_plural = "staff working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="working_hours_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.staff} {self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"
        )


class StaffTimeOff(models.Model):
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "staff time off"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="time_off_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} off {self.starts_at:%Y-%m-%d %H:%M}"


class Route(models.TextChoices):
    IV = "iv", "IV infusion"
    IM = "im", "IM injection"
    SUBLINGUAL_ORAL = "sublingual_oral", "Sublingual / oral (lozenge, troche)"
    INTRANASAL_ESKETAMINE = "intranasal_esketamine", "Intranasal esketamine (Spravato)"


class Drug(models.TextChoices):
    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine"


class DoseRule(models.TextChoices):
    FIXED_MG = "fixed_mg", "Fixed dose (mg)"
    MG_PER_KG = "mg_per_kg", "Weight-based (mg/kg)"


# Esketamine must be monitored at least 2 hours (CLINICAL.md, Spravato REMS).
ESKETAMINE_MINIMUM_MONITORING_MINUTES = 120


class Protocol(models.Model):
    """A dosing protocol: how a course is dosed, spaced, timed and monitored.

    Numbers are clinic data (each protocol cites its source) so a clinician can correct them.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Preparation reading for patients on this protocol (the preparation library), sent with the
    # booking confirmation and the 72-hour dosing reminder.
    articles = models.ManyToManyField("notifications.Article", blank=True, related_name="protocols")
    name = models.CharField(max_length=120, unique=True)
    drug = models.CharField(max_length=20, choices=Drug.choices)
    route = models.CharField(max_length=30, choices=Route.choices)
    dose_rule = models.CharField(max_length=20, choices=DoseRule.choices)
    # mg for a fixed rule, mg/kg for a weight-based rule: the dose of one session.
    dose_minimum = models.DecimalField(max_digits=7, decimal_places=3)
    dose_maximum = models.DecimalField(max_digits=7, decimal_places=3)
    dose_default = models.DecimalField(max_digits=7, decimal_places=3)
    dosing_sessions = models.PositiveSmallIntegerField(help_text="dosing sessions in the course")
    minimum_spacing_hours = models.PositiveSmallIntegerField(
        help_text="no two doses closer than this"
    )
    planned_interval_days = models.PositiveSmallIntegerField(
        help_text="days between doses when a course is planned"
    )
    preparation_minutes = models.PositiveSmallIntegerField(default=60)
    dosing_minutes = models.PositiveSmallIntegerField(
        help_text="the whole dosing appointment, monitoring included"
    )
    integration_minutes = models.PositiveSmallIntegerField(default=60)
    administration_minutes = models.PositiveSmallIntegerField(
        help_text="how long the medicine is given (e.g. an infusion over 40 minutes)"
    )
    vitals_every_minutes_during = models.PositiveSmallIntegerField()
    vitals_every_minutes_after = models.PositiveSmallIntegerField()
    blood_pressure_check_minutes = models.PositiveSmallIntegerField(
        default=40, help_text="the BP check at the expected peak, minutes after dosing"
    )
    minimum_monitoring_minutes = models.PositiveSmallIntegerField()
    # Esketamine is given 28 mg per device, 5 minutes between devices (CLINICAL.md, label).
    device_mg = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    minutes_between_devices = models.PositiveSmallIntegerField(null=True, blank=True)
    # The first session of a course may have a lower ceiling: esketamine 56 mg on day 1, 28 mg
    # at 65 or older (CLINICAL.md, label). In the protocol's unit; empty means no lower ceiling.
    first_session_dose_maximum = models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True
    )
    first_session_dose_maximum_65_and_over = models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True
    )
    rems_form_required = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    source = models.TextField(help_text="where each number comes from")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dose_maximum__gte=models.F("dose_minimum")),
                name="protocol_dose_range_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(route="intranasal_esketamine")
                | models.Q(minimum_monitoring_minutes__gte=ESKETAMINE_MINIMUM_MONITORING_MINUTES),
                name="protocol_esketamine_monitoring_at_least_120",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dose_unit(self) -> str:
        return "mg/kg" if self.dose_rule == DoseRule.MG_PER_KG else "mg"

    @property
    def is_esketamine(self) -> bool:
        return self.route == Route.INTRANASAL_ESKETAMINE


class DosingPolicy(models.Model):
    """The clinic's dosing-day policy: one row, edited by clinic admins."""

    # Pre-dose BP above 140/90 → consider deferring (CLINICAL.md, Spravato label; policy).
    predose_systolic_maximum = models.PositiveSmallIntegerField(default=140)
    predose_diastolic_maximum = models.PositiveSmallIntegerField(default=90)
    # Vital-sign alerts while monitoring: a rise from baseline of >= 40 mmHg systolic or >= 25
    # diastolic (CLINICAL.md, "Adverse events, alerts, outcomes"; Spravato label figures).
    alert_systolic_rise = models.PositiveSmallIntegerField(default=40)
    alert_diastolic_rise = models.PositiveSmallIntegerField(default=25)
    # Absolute alert limits (CLINICAL.md, "Monitoring alerts"): policy examples, not label figures.
    alert_systolic_at_or_above = models.PositiveSmallIntegerField(default=180)
    alert_diastolic_at_or_above = models.PositiveSmallIntegerField(default=110)
    alert_spo2_below = models.PositiveSmallIntegerField(default=92)
    alert_heart_rate_above = models.PositiveSmallIntegerField(default=120)
    alert_heart_rate_below = models.PositiveSmallIntegerField(default=50)
    alert_respiratory_rate_below = models.PositiveSmallIntegerField(default=10)
    # Minutes past a missed vitals time before the live board escalates it (clinic policy).
    vitals_overdue_escalation_minutes = models.PositiveSmallIntegerField(default=10)
    # Rescue medicines each room's daily emergency checklist must confirm (clinic policy list;
    # CLINICAL.md names none: the clinic's prescribers set it).
    emergency_rescue_medicines = models.TextField(
        default="Labetalol\nOndansetron\nMidazolam\nNaloxone",
        help_text="one medicine per line",
    )
    # Dosing frequency warnings (clinic policy). Esketamine induction is twice weekly and IV
    # induction e.g. three a week (CLINICAL.md); the label schedule gives 8 + 4 + 5 = 17 sessions
    # in its first 13 weeks.
    dosing_sessions_per_7_days_maximum = models.PositiveSmallIntegerField(default=3)
    dosing_sessions_per_90_days_maximum = models.PositiveSmallIntegerField(default=17)
    # No solids for 6 h before a session (CLINICAL.md, "Before a session", policy).
    fasting_solids_hours = models.PositiveSmallIntegerField(default=6)
    # Clear liquids until 2 h before (CLINICAL.md, "Before a session", policy).
    clear_liquids_hours = models.PositiveSmallIntegerField(default=2)
    # No driving until the next day after restful sleep (CLINICAL.md, esketamine label; policy).
    no_driving_text = models.CharField(
        max_length=200, default="Do not drive until the next day, after a restful sleep."
    )
    # "Vitals near baseline" at discharge (CLINICAL.md, Discharge); the margin is clinic policy.
    discharge_systolic_margin = models.PositiveSmallIntegerField(default=20)
    # Diastolic counterpart of the margin above (CLINICAL.md, Discharge; clinic policy).
    discharge_diastolic_margin = models.PositiveSmallIntegerField(default=10)
    # Sedation, dissociation and BP must be re-assessed this recently before discharge
    # (issue 11, clinic policy; CLINICAL.md: monitor until sedation and dissociation resolve).
    discharge_assessment_minutes = models.PositiveSmallIntegerField(default=15)
    # CADSS-6 at or below this counts as dissociation resolved (clinic policy; CLINICAL.md gives
    # no figure, so the default is the strictest: no symptom left).
    discharge_cadss6_maximum = models.PositiveSmallIntegerField(default=0)
    # Check-in opens this long before the appointment (issue 11, clinic policy).
    check_in_opens_minutes = models.PositiveSmallIntegerField(default=120)
    # Tolerance for clock differences between devices on clinical times (clinic policy).
    clock_skew_minutes = models.PositiveSmallIntegerField(default=5)
    # A weight this far (percent) from the last recorded one needs confirming: pounds typed as
    # kilograms double a mg/kg dose (issue 11, clinic policy).
    weight_change_percent = models.PositiveSmallIntegerField(default=10)
    # Pregnancy or breastfeeding: exclusion or physician review (CLINICAL.md, policy); a test
    # for patients who can become pregnant, no older than this many days (clinic policy).
    pregnancy_test_required = models.BooleanField(default=True)
    pregnancy_test_valid_days = models.PositiveSmallIntegerField(default=1)
    # Local clock times of the after-dose messages (clinic policy).
    integration_prompt_time = models.TimeField(default=time(19, 0))
    next_morning_checkin_time = models.TimeField(default=time(9, 0))

    class Meta:
        verbose_name_plural = "dosing policy"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="dosing_policy_one")]

    def __str__(self) -> str:
        return "Dosing policy"

    @classmethod
    def current(cls) -> DosingPolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy

    @property
    def rescue_medicines(self) -> list[str]:
        return [
            line.strip() for line in self.emergency_rescue_medicines.splitlines() if line.strip()
        ]


# ------------------------------------------------------------------------------------------------
# Courses and appointments


class CourseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Course(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="courses")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_as_prescriber"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_as_therapist"
    )
    # In the protocol's unit (mg, or mg/kg). Front desk may propose it with the schedule; the
    # prescriber sets and signs it (the treatment plan) before the first dose.
    planned_dose = models.DecimalField(max_digits=7, decimal_places=3)
    plan_signed_at = models.DateTimeField("treatment plan signed", null=True, blank=True)
    plan_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="treatment plan signed by",
    )
    start_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=CourseStatus.choices, default=CourseStatus.PLANNED
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.protocol} from {self.start_date}"

    @property
    def plan_is_signed(self) -> bool:
        return self.plan_signed_at is not None


class AppointmentKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    DOSING = "dosing", "Dosing"
    INTEGRATION = "integration", "Integration"
    FOLLOW_UP = "follow_up", "Follow-up"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


APPOINTMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {AppointmentStatus.IN_PROGRESS, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.IN_PROGRESS: frozenset({AppointmentStatus.COMPLETED}),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}


class Appointment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    # Copied from the room when booked: a physical room holds one patient at a time, a virtual
    # room any number (the PostgreSQL exclusion constraint reads this column).
    room_exclusive = models.BooleanField(default=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Dosing: a prescriber or delegated medical monitor, and a therapist present.
    medical_monitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments_as_monitor",
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments_as_therapist",
    )
    telehealth_url = models.URLField(blank=True)
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every move: reminder idempotency keys include it with the start.
    schedule_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_end_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="appointment_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dosing") | models.Q(course__isnull=False),
                name="appointment_dosing_has_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_dosing(self) -> bool:
        return self.kind == AppointmentKind.DOSING

    @property
    def is_active(self) -> bool:
        return self.status != AppointmentStatus.CANCELLED

    def can_become(self, status: str) -> bool:
        return status in APPOINTMENT_TRANSITIONS[self.status]

    @property
    def local_starts_at(self) -> datetime:
        from zoneinfo import ZoneInfo

        return self.starts_at.astimezone(ZoneInfo(self.location.time_zone))

    @property
    def local_ends_at(self) -> datetime:
        from zoneinfo import ZoneInfo

        return self.ends_at.astimezone(ZoneInfo(self.location.time_zone))


class ClinicianBooking(models.Model):
    """One clinician's time on one appointment; the clinician exclusion constraint reads it.

    Kept in step with its appointment by the booking service (times, cancellation).
    """

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="clinician_bookings"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician_bookings"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "clinician"], name="clinician_booking_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinician} {self.starts_at:%Y-%m-%d %H:%M}"


# ------------------------------------------------------------------------------------------------
# The dosing day


class PregnancyAttestation(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_PREGNANT = "not_pregnant", "I am not pregnant or breastfeeding"
    PREGNANT_OR_UNSURE = "pregnant_or_unsure", "I am pregnant, breastfeeding or unsure"


class PregnancyTestMethod(models.TextChoices):
    URINE_HCG = "urine_hcg", "Urine hCG"
    SERUM_HCG = "serum_hcg", "Serum (blood) hCG"


class PregnancyTestResult(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class Readiness(models.Model):
    """The readiness checklist of one dosing appointment: patient part, staff part, decision."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="readiness"
    )
    # The patient's part, online before the session.
    last_ate_at = models.DateTimeField(null=True, blank=True)
    last_drank_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField(max_length=200, blank=True)
    escort_phone = models.CharField(max_length=30, blank=True)
    medications_last_24_hours = models.TextField(blank=True)
    pregnancy_attestation = models.CharField(
        max_length=30, choices=PregnancyAttestation.choices, blank=True
    )
    feeling_today = models.TextField(blank=True)
    patient_submitted_at = models.DateTimeField(null=True, blank=True)
    # The staff part, at check-in.
    identity_confirmed = models.BooleanField(default=False)
    consent_current = models.BooleanField(default=False)
    escort_confirmed = models.BooleanField(default=False)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("350"))],
    )
    baseline_systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_spo2 = models.PositiveSmallIntegerField(null=True, blank=True)
    predose_phq9_total = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(27)]
    )
    # Every PHQ-9 item of the pre-dose check, and the C-SSRS screener when item 9 is above 0
    # (CLINICAL.md, Instruments): {item key: value}.
    predose_phq9_answers = models.JSONField(default=dict, blank=True)
    predose_cssrs_answers = models.JSONField(default=dict, blank=True)
    mood_check = models.CharField(max_length=300, blank=True)
    # A weight far from the last recorded one, confirmed by staff (re-weighed, units checked).
    weight_change_confirmed = models.BooleanField(default=False)
    pregnancy_test_date = models.DateField(null=True, blank=True)
    pregnancy_test_method = models.CharField(
        max_length=20, choices=PregnancyTestMethod.choices, blank=True
    )
    pregnancy_test_result = models.CharField(
        max_length=20, choices=PregnancyTestResult.choices, blank=True
    )
    staff_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_checked_at = models.DateTimeField(null=True, blank=True)
    # Legacy blanket override (before per-reason overrides, ReadinessOverride); kept for history.
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.CharField(max_length=500, blank=True)
    override_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Readiness for {self.appointment}"

    @property
    def patient_part_done(self) -> bool:
        return self.patient_submitted_at is not None

    @property
    def staff_part_done(self) -> bool:
        return self.staff_checked_at is not None


class ReadinessOverride(models.Model):
    """A prescriber's override of one no-go reason, with its own reason.

    It covers the reason exactly as it read (code and message): a changed reading or a new
    reason after the override blocks again.
    """

    readiness = models.ForeignKey(Readiness, on_delete=models.CASCADE, related_name="overrides")
    code = models.CharField(max_length=60)
    problem = models.CharField(max_length=500)
    reason = models.CharField(max_length=500)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["overridden_at", "id"]

    def __str__(self) -> str:
        return f"Override of {self.code}"


class DosingStatus(models.TextChoices):
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROGRESS = "in_progress", "Dosing and monitoring"
    DISCHARGED = "discharged", "Discharged"
    ABANDONED = "abandoned", "Not dosed"


DOSING_TRANSITIONS: dict[str, frozenset[str]] = {
    DosingStatus.CHECKED_IN: frozenset({DosingStatus.IN_PROGRESS, DosingStatus.ABANDONED}),
    DosingStatus.IN_PROGRESS: frozenset({DosingStatus.DISCHARGED}),
    DosingStatus.DISCHARGED: frozenset(),
    DosingStatus.ABANDONED: frozenset(),
}


class DosingRecord(models.Model):
    """The record of one dosing session (named so: ``Session`` belongs to Django)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="dosing_record"
    )
    status = models.CharField(
        max_length=20, choices=DosingStatus.choices, default=DosingStatus.CHECKED_IN
    )
    arrived_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Concomitant medicines the REMS monitoring form asks about (CLINICAL.md).
    concomitant_benzodiazepine = models.BooleanField(default=False)
    concomitant_non_benzodiazepine_hypnotic = models.BooleanField(default=False)
    concomitant_psychostimulant = models.BooleanField(default=False)
    concomitant_maoi = models.BooleanField(default=False)
    # Discharge.
    vitals_near_baseline = models.BooleanField(default=False)
    alert_and_oriented = models.BooleanField(default=False)
    walking_unaided = models.BooleanField(default=False)
    escort_present = models.BooleanField(default=False)
    ready_to_leave_at = models.DateTimeField(
        null=True, blank=True, help_text="when the patient would have been ready to leave"
    )
    # Discharge judgements the prescriber adds where the record is incomplete: BP judged without a
    # baseline (after an override), and scheduled vitals that were missed.
    baseline_missing_judgement = models.CharField(max_length=500, blank=True)
    missed_vitals_acknowledged = models.CharField(max_length=500, blank=True)
    # Whether the REMS concomitant-medicine answers were confirmed by the prescriber (False:
    # "Not assessed" on the form).
    concomitant_confirmed = models.BooleanField(default=False)
    # The REMS Patient Monitoring Form is its own row (sessions/rems: RemsForm).
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(blank=True)

    class Meta:
        permissions = [
            ("view_dose", "Can see doses and the whole dosing record"),
            ("record_monitoring", "Can record vitals, scores and observations"),
            ("administer_dose", "Can record doses, overrides and discharge"),
        ]

    def __str__(self) -> str:
        return f"Dosing record {self.uuid}"

    @property
    def course(self) -> Course:
        course = self.appointment.course
        if course is None:  # cannot happen: a dosing appointment has a course (constraint)
            raise ValueError("A dosing record's appointment has no course.")
        return course

    def can_become(self, status: str) -> bool:
        return status in DOSING_TRANSITIONS[self.status]


class DoseAdministration(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dosing_record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="doses")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    route = models.CharField(max_length=30, choices=Route.choices)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    lot_number = models.CharField(max_length=60)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    waste_mg = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    waste_witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="dose_end_not_before_start",
            ),
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg {self.get_drug_display()}"


class OtherMedication(models.Model):
    """Any other medicine given during the session: always recorded, always explained."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dosing_record = models.ForeignKey(
        DosingRecord, on_delete=models.PROTECT, related_name="other_medications"
    )
    medicine = models.CharField(max_length=120)
    dose = models.CharField(max_length=60)
    route = models.CharField(max_length=60)
    reason = models.CharField(max_length=300)
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Flagged until a clinician records that it was explained to the patient (CLINICAL.md).
    explained_to_patient_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["given_at", "id"]

    def __str__(self) -> str:
        return self.medicine


# Physiological ranges: values outside are typing errors, not readings.
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)
HEART_RATE_RANGE = (20, 250)
SPO2_RANGE = (50, 100)
RESPIRATORY_RATE_RANGE = (4, 60)


def _range(bounds: tuple[int, int]) -> list[Any]:
    return [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]


class VitalsEntry(models.Model):
    dosing_record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    blood_pressure_systolic = models.PositiveSmallIntegerField(validators=_range(SYSTOLIC_RANGE))
    blood_pressure_diastolic = models.PositiveSmallIntegerField(validators=_range(DIASTOLIC_RANGE))
    heart_rate = models.PositiveSmallIntegerField(validators=_range(HEART_RATE_RANGE))
    spo2 = models.PositiveSmallIntegerField(validators=_range(SPO2_RANGE))
    respiratory_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_range(RESPIRATORY_RATE_RANGE)
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name_plural = "vitals entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(blood_pressure_systolic__range=SYSTOLIC_RANGE)
                & models.Q(blood_pressure_diastolic__range=DIASTOLIC_RANGE)
                & models.Q(heart_rate__range=HEART_RATE_RANGE)
                & models.Q(spo2__range=SPO2_RANGE),
                name="vitals_physiological_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.blood_pressure_systolic}/{self.blood_pressure_diastolic}"


# CADSS-6 short form items 1, 2, 6, 7, 15, 22 (CLINICAL.md; unverified, Rodrigues 2021).
CADSS6_ITEMS = (1, 2, 6, 7, 15, 22)


class SedationDissociationEntry(models.Model):
    """MOAA/S (0-5; <=3 counts as sedation, CLINICAL.md) and CADSS-6 (6 items x 0-4)."""

    dosing_record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="scores")
    taken_at = models.DateTimeField()
    moaas = models.PositiveSmallIntegerField(validators=[MaxValueValidator(5)])
    cadss_item_1 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    cadss_item_2 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    cadss_item_6 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    cadss_item_7 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    cadss_item_15 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    cadss_item_22 = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name_plural = "sedation and dissociation entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(moaas__lte=5)
                & models.Q(cadss_item_1__lte=4)
                & models.Q(cadss_item_2__lte=4)
                & models.Q(cadss_item_6__lte=4)
                & models.Q(cadss_item_7__lte=4)
                & models.Q(cadss_item_15__lte=4)
                & models.Q(cadss_item_22__lte=4),
                name="scores_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"MOAA/S {self.moaas}, CADSS-6 {self.cadss6_total}"

    @property
    def cadss6_total(self) -> int:
        return sum(getattr(self, f"cadss_item_{item}") for item in CADSS6_ITEMS)

    @property
    def is_sedated(self) -> bool:
        # MOAA/S <= 3 counted as sedation in esketamine trials (CLINICAL.md, Chernik 1990).
        return self.moaas <= 3


class Observation(models.Model):
    dosing_record = models.ForeignKey(
        DosingRecord, on_delete=models.PROTECT, related_name="observations"
    )
    observed_at = models.DateTimeField()
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["observed_at", "id"]

    def __str__(self) -> str:
        return f"Observation {self.observed_at:%H:%M}"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    SERIOUS = "serious", "Serious (SAE)"


class AdverseEventGrade(models.IntegerChoices):
    # CTCAE v5.0 grades (CLINICAL.md, "Adverse events, alerts, outcomes").
    MILD = 1, "1 · Mild"
    MODERATE = 2, "2 · Moderate"
    SEVERE = 3, "3 · Severe or medically significant"
    LIFE_THREATENING = 4, "4 · Life-threatening"
    DEATH = 5, "5 · Death"


class Relatedness(models.TextChoices):
    # CLINICAL.md, "Adverse events, alerts, outcomes".
    UNRELATED = "unrelated", "Unrelated"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


class AdverseEventOutcome(models.TextChoices):
    ONGOING = "ongoing", "Not yet resolved"
    RESOLVING = "resolving", "Resolving"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_WITH_SEQUELAE = "resolved_with_sequelae", "Resolved with lasting effects"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class AdverseEvent(models.Model):
    dosing_record = models.ForeignKey(
        DosingRecord, on_delete=models.PROTECT, related_name="adverse_events"
    )
    occurred_at = models.DateTimeField()
    description = models.CharField(max_length=300)
    # Kept for the rows recorded before grades; new rows derive it from grade and seriousness.
    severity = models.CharField(max_length=20, choices=Severity.choices)
    action_taken = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    grade = models.PositiveSmallIntegerField(
        choices=AdverseEventGrade.choices, null=True, blank=True
    )
    relatedness = models.CharField(max_length=20, choices=Relatedness.choices, blank=True)
    is_serious = models.BooleanField(default=False)
    outcome = models.CharField(max_length=30, choices=AdverseEventOutcome.choices, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} adverse event"

    @property
    def counts_as_serious(self) -> bool:
        return self.is_serious or self.severity == Severity.SERIOUS


# The monitoring sub-package keeps its models in their own module, in this app (kap_sessions).
# Billing lives in its own sub-package; importing it here keeps its tables in these migrations.
from sessions.billing.models import (  # noqa: E402, F401
    BillingCode,
    BillingPolicy,
    Charge,
    CourseDiagnosis,
    FeeDefault,
    GoodFaithEstimate,
    GoodFaithEstimateItem,
    PatientSlidingScale,
    Payment,
    PaymentAllocation,
    SlidingScalePolicy,
    SlidingScaleTier,
)
from sessions.controlled.models import (  # noqa: E402, F401
    Incident,
    LedgerEntry,
    LedgerPolicy,
    Product,
    Safe,
    StockCount,
    StockCountLine,
    StockLot,
)
from sessions.monitoring.models import (  # noqa: E402, F401
    AdverseEventFollowUp,
    RoomEmergencyCheck,
    VitalsAlert,
)
from sessions.rems.models import (  # noqa: E402, F401
    RemsEnrolment,
    RemsForm,
)
