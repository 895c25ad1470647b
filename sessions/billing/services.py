"""Billing writes and the rules that turn care into codes; each write audits itself."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.billing.models import (
    BILLABLE_SYSTEMS,
    BillingCode,
    CodeSystem,
    CourseDiagnosis,
    PatientSlidingScale,
    SlidingScalePolicy,
    SlidingScaleTier,
)
from sessions.models import Course

# CLINICAL.md, Billing facts: G2082 up to 56 mg, G2083 more than 56 mg of esketamine.
ESKETAMINE_DOSE_LIMIT_MG = Decimal("56")
# CPT time convention: a unit of time is attained once its midpoint is passed (31 of 60 minutes)
# (AMA CPT introduction, time; verify locally for 0820T).
MONITORING_UNIT_MINUTES = 60
MONITORING_MIDPOINT_MINUTES = 31


def psychotherapy_code_for_minutes(minutes: int, *, add_on: bool = False) -> BillingCode | None:
    """The active psychotherapy code whose time rule covers ``minutes`` (None under the shortest
    rule). The rules are the catalogue's from/to minutes, which the clinic can edit."""
    candidates = BillingCode.objects.filter(
        system__in=BILLABLE_SYSTEMS,
        is_active=True,
        is_add_on=add_on,
        min_minutes__isnull=False,
        min_minutes__lte=minutes,
    ).order_by("-min_minutes")
    for code in candidates:
        if code.max_minutes is None or minutes <= code.max_minutes:
            return code
    return None


def monitoring_units(*, start: datetime, end: datetime) -> int:
    """Hours of continuous monitoring (0820T units) from dose to discharge."""
    minutes = int((end - start).total_seconds() // 60)
    if minutes < MONITORING_MIDPOINT_MINUTES:
        return 0
    whole, rest = divmod(minutes, MONITORING_UNIT_MINUTES)
    return whole + (1 if rest >= MONITORING_MIDPOINT_MINUTES else 0)


def esketamine_code(dose_mg: Decimal) -> str:
    return "G2082" if dose_mg <= ESKETAMINE_DOSE_LIMIT_MG else "G2083"


def catalogue_code(*, code: str, systems: tuple[str, ...] = BILLABLE_SYSTEMS) -> BillingCode:
    """The active catalogue entry for ``code``; a code not in the catalogue is refused."""
    found = BillingCode.objects.filter(code=code, system__in=systems, is_active=True).first()
    if found is None:
        raise ValidationError({"code": f"{code} is not in the clinic's code catalogue."})
    return found


@transaction.atomic
def course_diagnosis_add(
    *, by: User, course: Course, code: BillingCode, is_primary: bool = False
) -> CourseDiagnosis:
    if code.system != CodeSystem.ICD10 or not code.is_active:
        raise ValidationError({"code": "Choose a diagnosis from the clinic's ICD-10-CM list."})
    if CourseDiagnosis.objects.filter(course=course, code=code).exists():
        raise ValidationError({"code": f"{code.code} is already a diagnosis of this course."})
    if is_primary:
        CourseDiagnosis.objects.filter(course=course, is_primary=True).update(is_primary=False)
    elif not CourseDiagnosis.objects.filter(course=course).exists():
        is_primary = True  # the first diagnosis is the primary one
    diagnosis = CourseDiagnosis.objects.create(
        course=course, code=code, is_primary=is_primary, added_by=by
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=diagnosis,
        detail=f"diagnosis {code.code} added to a course",
    )
    return diagnosis


@transaction.atomic
def course_diagnosis_remove(*, by: User, diagnosis: CourseDiagnosis) -> None:
    audit_record(
        action=AuditAction.DELETE,
        actor=by,
        obj=diagnosis,
        detail=f"diagnosis {diagnosis.code.code} removed from a course",
    )
    diagnosis.delete()


def sliding_scale_tier_for(
    *, household_income: Decimal, household_size: int, policy: SlidingScalePolicy | None = None
) -> SlidingScaleTier | None:
    """The income-based tier a household qualifies for: income at most the tier's percentage of
    the income line for its size, trying the lowest limit first; None when above every tier."""
    if household_size < 1:
        raise ValidationError({"household_size": "A household has at least one person."})
    if household_income < 0:
        raise ValidationError({"household_income": "Income cannot be negative."})
    policy = policy or SlidingScalePolicy.objects.first()
    if policy is None:
        return None
    line = policy.income_line(household_size)
    tiers = SlidingScaleTier.objects.filter(
        is_active=True, max_income_percent__isnull=False
    ).order_by("max_income_percent")
    for tier in tiers:
        if tier.max_income_percent is not None and (
            household_income * 100 <= line * tier.max_income_percent
        ):
            return tier
    return None


def discounted(amount: Decimal, tier: SlidingScaleTier | None) -> Decimal:
    if tier is None:
        return amount
    return (amount * (100 - tier.discount_percent) / 100).quantize(Decimal("0.01"))


@transaction.atomic
def patient_sliding_scale_set(
    *,
    by: User,
    patient: Patient,
    tier: SlidingScaleTier,
    review_on: date,
    evidence: str,
    reason: str,
    household_income: Decimal | None = None,
    household_size: int | None = None,
) -> PatientSlidingScale:
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Give the reason for the discount."
    if not evidence.strip():
        errors["evidence"] = "Note the evidence seen (for example, last year's tax return)."
    if errors:
        raise ValidationError(errors)
    scale = PatientSlidingScale.objects.create(
        patient=patient,
        tier=tier,
        review_on=review_on,
        evidence=evidence.strip(),
        reason=reason.strip(),
        household_income=household_income,
        household_size=household_size,
        set_by=by,
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=scale, detail="sliding-scale tier set")
    return scale
