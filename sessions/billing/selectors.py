"""Billing reads: the superbill's contents, a patient's account with its Good Faith Estimates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Sum

from intake.models import Patient
from kap_clinic.clinic.models import Organisation, ProfessionalLicence
from kap_clinic.clinic.selectors import organisation_get
from sessions.billing.models import (
    BillingPolicy,
    Charge,
    ChargeStatus,
    CourseDiagnosis,
    EstimateStatus,
    GoodFaithEstimate,
    PatientSlidingScale,
    Payment,
)
from sessions.billing.services import (
    gfe_exceeded,
    patient_balance,
    sliding_scale_review_overdue,
)
from sessions.models import Course, CourseStatus


@dataclass
class Superbill:
    organisation: Organisation | None
    patient: Patient
    providers: list[Any]
    lines: Sequence[Charge]
    diagnoses: list[CourseDiagnosis]
    start: date | None
    end: date | None
    total: Decimal
    paid: Decimal


def superbill_for(
    *, patient: Patient, start: date | None = None, end: date | None = None
) -> Superbill:
    """The posted charges of a visit or period with what was paid; a patient with no diagnosis
    has no superbill (insurers refuse one without)."""
    diagnoses = list(
        CourseDiagnosis.objects.filter(course__patient=patient)
        .select_related("code")
        .order_by("-is_primary", "id")
    )
    if not diagnoses:
        raise ValidationError(
            "A superbill needs a diagnosis: add one to the patient's course first."
        )
    charges = Charge.objects.filter(patient=patient, status=ChargeStatus.POSTED)
    if start:
        charges = charges.filter(date_of_service__gte=start)
    if end:
        charges = charges.filter(date_of_service__lte=end)
    lines = list(
        charges.select_related(
            "code", "rendering_provider__staff_profile", "rendered_under_supervision_by"
        )
        .prefetch_related(
            Prefetch("rendering_provider__licences", queryset=ProfessionalLicence.objects.all())
        )
        .annotate(paid=Sum("allocations__amount"))
        .order_by("date_of_service", "id")
    )
    if not lines:
        raise ValidationError("There are no posted charges in that period.")
    providers = list(
        {
            line.rendering_provider_id: line.rendering_provider
            for line in lines
            if line.rendering_provider
        }.values()
    )
    seen: set[int] = set()
    unique_diagnoses = []
    for diagnosis in diagnoses:
        if diagnosis.code_id not in seen:
            seen.add(diagnosis.code_id)
            unique_diagnoses.append(diagnosis)
    return Superbill(
        organisation=organisation_get(),
        patient=patient,
        providers=providers,
        lines=lines,
        diagnoses=unique_diagnoses,
        start=start,
        end=end,
        total=sum((line.amount for line in lines), Decimal("0")),
        paid=sum((line.paid or Decimal("0") for line in lines), Decimal("0")),
    )


@dataclass
class EstimateVersusBill:
    estimate: GoodFaithEstimate
    billed: Decimal
    over_by: Decimal
    exceeded: bool


def estimates_versus_bills(
    *, patient: Patient, policy: BillingPolicy | None = None
) -> list[EstimateVersusBill]:
    """Each current estimate with what has been billed for its course (posted charges and
    adjustments of the course's sessions), flagged at the dispute threshold. Two queries."""
    policy = policy or BillingPolicy.current()
    estimates = list(
        GoodFaithEstimate.objects.filter(patient=patient, status=EstimateStatus.ISSUED)
        .select_related("course__protocol")
        .order_by("-issued_at", "-id")
    )
    billed = {
        row["appointment__course_id"]: row["total"]
        for row in Charge.objects.filter(
            patient=patient,
            status=ChargeStatus.POSTED,
            appointment__course_id__in=[estimate.course_id for estimate in estimates],
        )
        .values("appointment__course_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    rows = []
    for estimate in estimates:
        total = billed.get(estimate.course_id) or Decimal("0")
        rows.append(
            EstimateVersusBill(
                estimate=estimate,
                billed=total,
                over_by=max(total - estimate.total, Decimal("0")),
                exceeded=gfe_exceeded(
                    billed=total,
                    estimated=estimate.total,
                    threshold=policy.gfe_dispute_threshold,
                ),
            )
        )
    return rows


def courses_booked_without_estimate(*, patient: Patient) -> list[Course]:
    """The patient's planned or active courses with no current estimate; those with sessions
    booked are the ones the No Surprises Act needs one for now."""
    current = GoodFaithEstimate.objects.filter(course=OuterRef("pk"), status=EstimateStatus.ISSUED)
    return list(
        Course.objects.filter(
            patient=patient, status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE]
        )
        .exclude(Exists(current))
        .select_related("protocol")
        .order_by("start_date", "id")
    )


@dataclass
class PatientAccount:
    estimates: list[EstimateVersusBill]
    courses_without_estimate: list[Course]
    charges: list[Charge]
    payments: list[Payment]
    balance: Decimal
    policy: BillingPolicy
    sliding_scale: PatientSlidingScale | None
    sliding_scale_overdue: bool


def patient_account(*, patient: Patient) -> PatientAccount:
    """Everything the chart's Billing section shows, in a fixed number of queries."""
    policy = BillingPolicy.current()
    scale = (
        PatientSlidingScale.objects.filter(patient=patient)
        .select_related("tier")
        .order_by("-set_at", "-id")
        .first()
    )
    return PatientAccount(
        estimates=estimates_versus_bills(patient=patient, policy=policy),
        courses_without_estimate=courses_booked_without_estimate(patient=patient),
        charges=list(
            Charge.objects.filter(patient=patient)
            .exclude(status=ChargeStatus.DISCARDED)
            .select_related("code", "appointment")
            .order_by("-date_of_service", "-id")
        ),
        payments=list(Payment.objects.filter(patient=patient).order_by("-received_at", "-id")),
        balance=patient_balance(patient),
        policy=policy,
        sliding_scale=scale,
        sliding_scale_overdue=sliding_scale_review_overdue(scale),
    )
