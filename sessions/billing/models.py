"""Billing data: the code catalogue (CPT/HCPCS, modifiers, place of service, ICD-10-CM), a
course's diagnoses, the fee schedule and sliding-scale tiers.

Imported by sessions/models.py so the tables live in the kap_sessions migrations. Codes are data
the clinic edits (CLINICAL.md, Billing facts: verify against the current code books).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CodeSystem(models.TextChoices):
    CPT = "cpt", "CPT procedure code"
    HCPCS = "hcpcs", "HCPCS code"
    MODIFIER = "modifier", "Modifier"
    PLACE_OF_SERVICE = "pos", "Place of service"
    ICD10 = "icd10", "ICD-10-CM diagnosis"


# Systems whose codes are billed as charge lines (and so can carry a fee).
BILLABLE_SYSTEMS = (CodeSystem.CPT, CodeSystem.HCPCS)


class BillingUnit(models.TextChoices):
    SERVICE = "service", "Per service"
    HOUR = "hour", "Per hour"
    MINUTES_15 = "15min", "Per 15 minutes"


class DisorderGroup(models.TextChoices):
    DEPRESSIVE = "depressive", "Depressive disorders"
    ANXIETY = "anxiety", "Anxiety disorders"
    TRAUMA = "trauma", "Trauma- and stressor-related disorders"
    OBSESSIVE_COMPULSIVE = "ocd", "Obsessive-compulsive disorders"
    EATING = "eating", "Eating disorders"
    SUBSTANCE_USE = "substance", "Substance-use disorders"


class BillingCode(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    system = models.CharField(max_length=10, choices=CodeSystem.choices)
    code = models.CharField(max_length=10)
    description = models.CharField(max_length=300)
    fee = models.DecimalField(
        "fee (USD)",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The clinic's fee for one unit; empty for modifiers, places and diagnoses.",
    )
    unit = models.CharField(max_length=10, choices=BillingUnit.choices, default=BillingUnit.SERVICE)
    min_minutes = models.PositiveSmallIntegerField(
        "from minutes", null=True, blank=True, help_text="Time rule: shortest session billed."
    )
    max_minutes = models.PositiveSmallIntegerField(
        "to minutes", null=True, blank=True, help_text="Time rule: longest session billed."
    )
    is_add_on = models.BooleanField("add-on code", default=False)
    disorder_group = models.CharField(
        max_length=20, choices=DisorderGroup.choices, blank=True, help_text="Diagnoses only."
    )
    source = models.CharField(
        max_length=200, help_text="Where the code and its rule come from (code book, year)."
    )
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["system", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="billing_code_unique"),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | Q(fee__gte=0), name="billing_code_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__isnull=True)
                | Q(max_minutes__isnull=True)
                | Q(max_minutes__gte=models.F("min_minutes")),
                name="billing_code_minutes_ordered",
            ),
        ]
        permissions = [("manage_billing", "Can manage codes, fees, charges and payments")]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class CourseDiagnosis(models.Model):
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.CASCADE, related_name="diagnoses"
    )
    code = models.ForeignKey(
        BillingCode,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"system": CodeSystem.ICD10, "is_active": True},
    )
    is_primary = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code"], name="course_diagnosis_unique"),
            models.UniqueConstraint(
                fields=["course"], condition=Q(is_primary=True), name="course_one_primary_diagnosis"
            ),
        ]

    def __str__(self) -> str:
        return str(self.code)


class FeeDefault(models.Model):
    """The code (and units) an appointment of a kind is billed with by default, optionally for one
    protocol only (a protocol-specific row wins over the general one)."""

    appointment_kind = models.CharField(max_length=20)
    protocol = models.ForeignKey(
        "kap_sessions.Protocol", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.ForeignKey(
        BillingCode,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"system__in": BILLABLE_SYSTEMS},
    )
    units = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["appointment_kind", "id"]

    def __str__(self) -> str:
        return f"{self.appointment_kind}: {self.code.code} x {self.units}"


class SlidingScaleTier(models.Model):
    """A discount tier. With ``max_income_percent`` set, a household qualifies when its income is
    at most that percentage of the policy's income line for its size; tiers are tried from the
    lowest limit up. Without it the tier is a plain percentage granted by staff."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, unique=True)
    discount_percent = models.DecimalField(
        "discount (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    max_income_percent = models.PositiveIntegerField(
        "income up to (% of income line)", null=True, blank=True
    )
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["max_income_percent", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="sliding_tier_discount_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.discount_percent}% off)"


class SlidingScalePolicy(models.Model):
    """The income line by household size: ``base`` for one person plus ``per_additional_person``
    for each further person (clinic policy; default from the HHS poverty guidelines)."""

    base_income = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    per_additional_person = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    source = models.CharField(max_length=200)

    def __str__(self) -> str:
        return "Sliding-scale policy"

    def income_line(self, household_size: int) -> Decimal:
        return self.base_income + self.per_additional_person * max(household_size - 1, 0)


class PatientSlidingScale(models.Model):
    """A patient's current tier; a new row replaces the previous one (history kept)."""

    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="sliding_scales"
    )
    tier = models.ForeignKey(SlidingScaleTier, on_delete=models.PROTECT, related_name="+")
    household_income = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    household_size = models.PositiveSmallIntegerField(null=True, blank=True)
    review_on = models.DateField("review date")
    evidence = models.TextField("evidence seen")
    reason = models.CharField("reason for the discount", max_length=300)
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-set_at", "-id"]

    def __str__(self) -> str:
        return str(self.tier)


class ChargeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    POSTED = "posted", "Posted"
    DISCARDED = "discarded", "Discarded"


class PostedChargeError(Exception):
    """A posted charge is never edited: adjust it with a new line and a reason."""


class Charge(models.Model):
    """One line of a patient's bill. Proposed lines are reviewed and posted by staff; a posted
    line is never changed again (an adjustment is a new line pointing at it, with a reason)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="charges")
    appointment = models.ForeignKey(
        "kap_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charges",
    )
    code = models.ForeignKey(BillingCode, on_delete=models.PROTECT, related_name="+")
    modifiers = models.CharField(max_length=40, blank=True)
    place_of_service = models.CharField(max_length=4, blank=True)
    date_of_service = models.DateField()
    rendering_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A trainee's session is billed under the supervising clinician (the rendering provider);
    # the trainee who saw the patient is kept here so the superbill says so (issue #19).
    rendered_under_supervision_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="seen by (under supervision)",
    )
    units = models.PositiveSmallIntegerField(default=1)
    unit_fee = models.DecimalField(max_digits=9, decimal_places=2)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    discount_reason = models.CharField(max_length=300, blank=True)
    # The line's total: units x fee less the discount; an adjustment may be negative.
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    adjusts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    reason = models.CharField("reason", max_length=300, blank=True)
    basis = models.CharField(
        max_length=300, blank=True, help_text="How the line was proposed (minutes, dose, hours)."
    )
    status = models.CharField(
        max_length=20, choices=ChargeStatus.choices, default=ChargeStatus.PROPOSED
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["date_of_service", "id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(unit_fee__gte=0), name="charge_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="charge_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent=0) | ~Q(discount_reason=""),
                name="charge_discount_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(adjusts__isnull=True) | ~Q(reason=""),
                name="charge_adjustment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code.code} x {self.units}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = Charge.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == ChargeStatus.POSTED:
                raise PostedChargeError(
                    "A posted charge cannot be changed; add an adjustment with a reason."
                )
        super().save(*args, **kwargs)


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD_OUTSIDE = "card_outside", "Card (taken on a separate terminal)"
    CHEQUE = "cheque", "Cheque"
    TRANSFER = "transfer", "Bank transfer"


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class Payment(models.Model):
    """Money received from (or refunded to) a patient. No card data is ever stored: a card is
    taken on a separate terminal and only its receipt reference is noted."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    is_credit = models.BooleanField(
        "keep the excess as credit", default=False, help_text="Allow more than the balance due."
    )
    reference = models.CharField(
        max_length=60,
        blank=True,
        help_text="Cheque number or terminal receipt number; no card data.",
    )
    refunds = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refund_lines"
    )
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    provider_reference = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ${self.amount}"


class PaymentAllocation(models.Model):
    """The part of a payment applied to one posted charge."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"${self.amount}"


class BillingPolicy(models.Model):
    """The clinic's billing policy: one row, edited by clinic admins."""

    # No Surprises Act patient-provider dispute resolution: a self-pay patient may dispute a bill
    # at least $400 above the Good Faith Estimate (45 CFR 149.610 and 149.620; CLINICAL.md,
    # Billing facts). "At least": a bill exactly $400.00 above the estimate is flagged.
    gfe_dispute_threshold = models.DecimalField(
        "bill above the estimate that opens a dispute (USD)",
        max_digits=9,
        decimal_places=2,
        default=Decimal("400.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Billed charges this much or more above the Good Faith Estimate are flagged.",
    )
    gfe_dispute_threshold_source = models.CharField(
        "source of the threshold",
        max_length=300,
        default="45 CFR 149.610 and 149.620 (No Surprises Act patient-provider dispute "
        "resolution): billed charges at least $400 above the Good Faith Estimate",
    )

    class Meta:
        verbose_name_plural = "billing policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="billing_policy_one"),
            models.CheckConstraint(
                condition=Q(gfe_dispute_threshold__gt=0), name="billing_policy_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return "Billing policy"

    @classmethod
    def current(cls) -> BillingPolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy


class EstimateStatus(models.TextChoices):
    ISSUED = "issued", "Given to the patient"
    REPLACED = "replaced", "Replaced by a newer estimate"


class GoodFaithEstimate(models.Model):
    """The expected items and costs of a course, given to a self-pay patient before it is booked
    (No Surprises Act, 45 CFR 149.610). A new estimate for the course replaces the previous one;
    the patient acknowledges it on the portal."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="good_faith_estimates"
    )
    course = models.ForeignKey(
        "kap_sessions.Course", on_delete=models.PROTECT, related_name="good_faith_estimates"
    )
    status = models.CharField(
        max_length=20, choices=EstimateStatus.choices, default=EstimateStatus.ISSUED
    )
    tier_name = models.CharField("sliding-scale tier", max_length=80, blank=True)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField("expected total (USD)", max_digits=10, decimal_places=2)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(status="issued"),
                name="good_faith_estimate_one_current_per_course",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="estimate_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Good Faith Estimate ${self.total}"


class GoodFaithEstimateItem(models.Model):
    """One expected item: a code billed ``units_per_session`` times in each of ``sessions``."""

    estimate = models.ForeignKey(GoodFaithEstimate, on_delete=models.CASCADE, related_name="items")
    appointment_kind = models.CharField(max_length=20)
    code = models.ForeignKey(BillingCode, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    sessions = models.PositiveSmallIntegerField()
    units_per_session = models.PositiveSmallIntegerField()
    unit_fee = models.DecimalField(max_digits=9, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    basis = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_fee__gte=0) & Q(amount__gte=0), name="estimate_item_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code.code} x {self.sessions * self.units_per_session}"
