"""Billing writes and the rules that turn care into codes; each write audits itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from intake.messaging import patient_recipient
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.services import message_request
from sessions.billing.models import (
    BILLABLE_SYSTEMS,
    BillingCode,
    Charge,
    ChargeStatus,
    CodeSystem,
    CourseDiagnosis,
    EstimateStatus,
    FeeDefault,
    GoodFaithEstimate,
    GoodFaithEstimateItem,
    PatientSlidingScale,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    PostedChargeError,
    SlidingScalePolicy,
    SlidingScaleTier,
)
from sessions.billing.providers import payment_provider
from sessions.billing.registry import session_minutes, supervising_clinician
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
    DosingRecord,
    Drug,
    PlaceOfService,
    RoomKind,
)

ESTIMATE_READY_TEMPLATE = "sessions.billing_estimate_ready"

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
    return monitoring_units_for_minutes(int((end - start).total_seconds() // 60))


def monitoring_units_for_minutes(minutes: int) -> int:
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
    if not tier.is_active:
        errors["tier"] = f"{tier.name} is no longer in use."
    if review_on <= timezone.localdate():
        errors["review_on"] = "The review date is after today."
    if household_income is not None and household_income < 0:
        errors["household_income"] = "Income cannot be negative."
    if household_size is not None and household_size < 1:
        errors["household_size"] = "A household has at least one person."
    if errors:
        raise ValidationError(errors)
    if tier.max_income_percent is not None:
        # An income-based tier needs the household's income and size, and they must qualify.
        if household_income is None or household_size is None:
            raise ValidationError(
                {
                    "household_income": "This tier is by income: enter the household's income "
                    "and size."
                }
            )
        policy = SlidingScalePolicy.objects.first()
        if policy is not None and (
            household_income * 100 > policy.income_line(household_size) * tier.max_income_percent
        ):
            raise ValidationError(
                {
                    "tier": f"This household's income is above {tier.name}'s limit "
                    f"({tier.max_income_percent}% of ${policy.income_line(household_size):,.2f})."
                }
            )
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


# ------------------------------------------------------------------------------------------------
# Charges


def _fee_defaults(kind: str, protocol_id: int | None) -> list[FeeDefault]:
    """An appointment kind's default codes: protocol-specific rows win over general ones."""
    rows = list(
        FeeDefault.objects.filter(appointment_kind=kind)
        .filter(Q(protocol__isnull=True) | Q(protocol_id=protocol_id))
        .select_related("code")
    )
    specific = [row for row in rows if row.protocol_id is not None]
    return specific or rows


def _place_and_modifiers(appointment: Appointment) -> tuple[str, str]:
    if appointment.room.kind == RoomKind.TELEHEALTH:
        # CLINICAL.md, Billing facts: POS 10 at home, modifier 95 for synchronous telehealth.
        return PlaceOfService.TELEHEALTH_HOME.value, "95"
    return appointment.location.place_of_service, ""


def _active(code: str) -> BillingCode | None:
    """A catalogue code for a proposal; a code the clinic retired is simply not proposed."""
    return BillingCode.objects.filter(
        code=code, system__in=BILLABLE_SYSTEMS, is_active=True
    ).first()


@dataclass(frozen=True)
class ProposedLine:
    code: BillingCode
    units: int
    basis: str


def proposed_lines(appointment: Appointment) -> list[ProposedLine]:
    """The codes a completed appointment is billed with, from its kind, duration and record."""
    lines: list[ProposedLine] = []
    if appointment.kind == AppointmentKind.DOSING:
        record = DosingRecord.objects.filter(appointment=appointment).first()
        doses = list(record.doses.all()) if record else []
        if record and doses:
            if all(dose.drug == Drug.ESKETAMINE for dose in doses):
                total = sum((dose.dose_mg for dose in doses), Decimal("0"))
                g_code = _active(esketamine_code(total))
                if g_code is not None:
                    lines.append(ProposedLine(g_code, 1, f"esketamine {total} mg"))
            elif record.discharged_at:
                start = min(dose.started_at for dose in doses)
                units = monitoring_units(start=start, end=record.discharged_at)
                minutes = int((record.discharged_at - start).total_seconds() // 60)
                monitoring = _active("0820T")
                if units and monitoring is not None:
                    lines.append(
                        ProposedLine(
                            monitoring, units, f"{minutes} min monitored from dose to discharge"
                        )
                    )
    else:
        minutes, source = session_minutes(appointment)
        code = psychotherapy_code_for_minutes(minutes)
        if code is not None:
            lines.append(ProposedLine(code, 1, f"{minutes} min ({source})"))
    protocol_id = appointment.course.protocol_id if appointment.course else None
    return _with_defaults(lines, kind=appointment.kind, protocol_id=protocol_id)


def _with_defaults(
    lines: list[ProposedLine], *, kind: str, protocol_id: int | None
) -> list[ProposedLine]:
    """``lines`` with the kind's default charges added (a time code already found wins)."""
    proposed = {line.code.pk for line in lines}
    for row in _fee_defaults(kind, protocol_id):
        if row.code_id not in proposed and not (
            row.code.min_minutes is not None and lines
        ):  # a time code already covers the session
            lines.append(ProposedLine(row.code, row.units, "default charge"))
    return lines


@transaction.atomic
def charges_propose(*, appointment: Appointment, by: User | None) -> list[Charge]:
    """Proposes the charges of a completed appointment (once; staff review and post them)."""
    if appointment.status != AppointmentStatus.COMPLETED:
        raise ValidationError("Charges are proposed when the appointment is completed.")
    if Charge.objects.filter(appointment=appointment).exists():
        return list(Charge.objects.filter(appointment=appointment, status=ChargeStatus.PROPOSED))
    return _charges_create(appointment=appointment, by=by)


@transaction.atomic
def charges_repropose(*, appointment: Appointment, by: User | None, reason: str) -> list[Charge]:
    """Proposes a completed appointment's charges again because its record changed (the signed
    note's session times): the lines still only proposed are discarded and proposed afresh.
    Nothing happens once a line is posted (posted charges are adjusted, never re-proposed) or
    when staff have discarded every line."""
    if appointment.status != AppointmentStatus.COMPLETED:
        return []
    lines = list(Charge.objects.select_for_update().filter(appointment=appointment))
    if any(line.status == ChargeStatus.POSTED for line in lines):
        return []
    proposed = [line for line in lines if line.status == ChargeStatus.PROPOSED]
    if lines and not proposed:
        return []
    for line in proposed:
        line.status = ChargeStatus.DISCARDED
        line.save(update_fields=["status"])
        audit_record(
            action=AuditAction.UPDATE, actor=by, obj=line, detail=f"charge re-proposed: {reason}"
        )
    return _charges_create(appointment=appointment, by=by)


def _charges_create(*, appointment: Appointment, by: User | None) -> list[Charge]:
    place, modifiers = _place_and_modifiers(appointment)
    tier = patient_tier(appointment.patient)
    date_of_service = appointment.starts_at.astimezone(
        ZoneInfo(appointment.location.time_zone)
    ).date()
    provider, trainee = _billing_provider(appointment, date_of_service)
    charges = []
    for line in proposed_lines(appointment):
        fee = line.code.fee or Decimal("0")
        percent = tier.discount_percent if tier else Decimal("0")
        charges.append(
            Charge.objects.create(
                patient=appointment.patient,
                appointment=appointment,
                code=line.code,
                modifiers=modifiers,
                place_of_service=place,
                date_of_service=date_of_service,
                rendering_provider=provider,
                rendered_under_supervision_by=trainee,
                units=line.units,
                unit_fee=fee,
                discount_percent=percent,
                discount_reason=f"sliding scale: {tier.name}" if tier else "",
                amount=line_amount(fee, line.units, percent),
                basis=line.basis,
                created_by=by,
            )
        )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=appointment,
        detail=f"{len(charges)} charge(s) proposed",
    )
    return charges


def sliding_scale_review_overdue(scale: PatientSlidingScale | None) -> bool:
    """A tier whose review date has come: billing staff should see the evidence again."""
    return scale is not None and scale.review_on <= timezone.localdate()


def _billing_provider(appointment: Appointment, on: date) -> tuple[User | None, User | None]:
    """The rendering provider and, for a trainee's session, the trainee: a supervised clinician's
    service is billed under the supervisor in force on the date of service."""
    clinician = (
        appointment.medical_monitor
        if appointment.kind == AppointmentKind.DOSING and appointment.medical_monitor
        else appointment.therapist
    )
    if clinician is None:
        return None, None
    supervisor = supervising_clinician(clinician, on)
    if supervisor is None:
        return clinician, None
    return supervisor, clinician


def patient_tier(patient: Patient) -> SlidingScaleTier | None:
    current = PatientSlidingScale.objects.filter(patient=patient).select_related("tier").first()
    return current.tier if current else None


def line_amount(unit_fee: Decimal, units: int, discount_percent: Decimal) -> Decimal:
    return (unit_fee * units * (100 - discount_percent) / 100).quantize(Decimal("0.01"))


@transaction.atomic
def charge_post(*, charge: Charge, by: User) -> Charge:
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != ChargeStatus.PROPOSED:
        raise PostedChargeError("Only a proposed charge can be posted.")
    charge.status = ChargeStatus.POSTED
    charge.posted_at = timezone.now()
    charge.posted_by = by
    charge.save()
    audit_record(action=AuditAction.UPDATE, actor=by, obj=charge, detail="charge posted")
    return charge


@transaction.atomic
def charge_review(
    *,
    charge: Charge,
    by: User,
    code: BillingCode,
    units: int,
    modifiers: str = "",
    discount_percent: Decimal = Decimal("0"),
    discount_reason: str = "",
) -> Charge:
    """Changes a proposed line before it is posted (code, units, modifiers, discount)."""
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != ChargeStatus.PROPOSED:
        raise PostedChargeError(
            "A posted charge cannot be changed; add an adjustment with a reason."
        )
    errors: dict[str, str] = {}
    if code.system not in BILLABLE_SYSTEMS or not code.is_active:
        errors["code"] = f"{code.code} is not a billable code in the clinic's catalogue."
    if units < 1:
        errors["units"] = "Bill at least one unit."
    if not Decimal("0") <= discount_percent <= Decimal("100"):
        errors["discount_percent"] = "A discount is between 0 and 100 %."
    if discount_percent and not discount_reason.strip():
        errors["discount_reason"] = "Give the reason for the discount."
    if errors:
        raise ValidationError(errors)
    charge.code = code
    charge.units = units
    charge.modifiers = modifiers.strip().upper()
    charge.unit_fee = code.fee or Decimal("0")
    charge.discount_percent = discount_percent
    charge.discount_reason = discount_reason.strip()
    charge.amount = line_amount(charge.unit_fee, units, discount_percent)
    charge.save()
    audit_record(action=AuditAction.UPDATE, actor=by, obj=charge, detail="charge reviewed")
    return charge


@transaction.atomic
def charge_discard(*, charge: Charge, by: User) -> Charge:
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != ChargeStatus.PROPOSED:
        raise PostedChargeError("Only a proposed charge can be discarded.")
    charge.status = ChargeStatus.DISCARDED
    charge.save()
    audit_record(action=AuditAction.UPDATE, actor=by, obj=charge, detail="charge discarded")
    return charge


@transaction.atomic
def charge_adjust(*, charge: Charge, by: User, amount: Decimal, reason: str) -> Charge:
    """Adjusts a posted charge with a new posted line (negative to reduce), never an edit."""
    if charge.status != ChargeStatus.POSTED:
        raise ValidationError("Only a posted charge is adjusted; change a proposed one instead.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the adjustment."})
    if amount == 0:
        raise ValidationError({"amount": "An adjustment changes the amount."})
    net = charge.amount + sum(
        (line.amount for line in charge.adjustments.filter(status=ChargeStatus.POSTED)),
        Decimal("0"),
    )
    if net + amount < 0:
        raise ValidationError({"amount": f"The charge would fall below zero (now ${net})."})
    now = timezone.now()
    adjustment = Charge.objects.create(
        patient=charge.patient,
        appointment=charge.appointment,
        code=charge.code,
        modifiers=charge.modifiers,
        place_of_service=charge.place_of_service,
        date_of_service=charge.date_of_service,
        rendering_provider=charge.rendering_provider,
        units=0,
        unit_fee=Decimal("0"),
        amount=amount,
        adjusts=charge,
        reason=reason.strip(),
        status=ChargeStatus.POSTED,
        created_by=by,
        posted_at=now,
        posted_by=by,
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=adjustment, detail="charge adjusted")
    return adjustment


# ------------------------------------------------------------------------------------------------
# Payments and balances


def _posted_charges(patient: Patient) -> list[Charge]:
    return list(
        Charge.objects.filter(patient=patient, status=ChargeStatus.POSTED).order_by(
            "date_of_service", "id"
        )
    )


def patient_balance(patient: Patient) -> Decimal:
    """What the patient owes: posted charges and adjustments, less payments, plus refunds
    (negative when the patient is in credit)."""
    charged = Charge.objects.filter(patient=patient, status=ChargeStatus.POSTED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    paid = Payment.objects.filter(patient=patient, kind=PaymentKind.PAYMENT).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    refunded = Payment.objects.filter(patient=patient, kind=PaymentKind.REFUND).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    return charged - paid + refunded


def charge_outstanding(charge: Charge) -> Decimal:
    """A posted line's amount with its adjustments, less what payments have covered."""
    adjusted = charge.amount + (
        charge.adjustments.filter(status=ChargeStatus.POSTED).aggregate(total=Sum("amount"))[
            "total"
        ]
        or Decimal("0")
    )
    covered = charge.allocations.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return adjusted - covered


@transaction.atomic
def payment_record(
    *,
    by: User,
    patient: Patient,
    amount: Decimal,
    method: str,
    reference: str = "",
    is_credit: bool = False,
) -> Payment:
    """Records a payment and applies it to the oldest outstanding charges. More than the balance
    is refused unless the excess is kept as credit."""
    if amount <= 0:
        raise ValidationError({"amount": "A payment is more than zero."})
    if method not in PaymentMethod.values:
        raise ValidationError({"method": "Choose how the patient paid."})
    # Lock the patient's charges so two payments cannot both take the same balance.
    list(Charge.objects.select_for_update().filter(patient=patient).values_list("pk", flat=True))
    balance = patient_balance(patient)
    if amount > balance and not is_credit:
        raise ValidationError(
            {
                "amount": f"This is more than the balance due (${max(balance, Decimal('0'))}). "
                "Tick “keep the excess as credit” to accept it."
            }
        )
    result = payment_provider().charge(
        amount=amount, method=method, idempotency_key=str(uuid.uuid4())
    )
    if not result.succeeded:
        raise ValidationError(result.message or "The payment did not go through.")
    payment = Payment.objects.create(
        patient=patient,
        amount=amount,
        method=method,
        reference=reference.strip(),
        is_credit=is_credit,
        received_by=by,
        provider_reference=result.reference,
    )
    remaining = amount
    for charge in _posted_charges(patient):
        if remaining <= 0:
            break
        if charge.adjusts_id is not None:
            continue
        due = charge_outstanding(charge)
        if due <= 0:
            continue
        applied = min(due, remaining)
        PaymentAllocation.objects.create(payment=payment, charge=charge, amount=applied)
        remaining -= applied
    audit_record(action=AuditAction.CREATE, actor=by, obj=payment, detail="payment recorded")
    return payment


@transaction.atomic
def refund_record(*, by: User, payment: Payment, amount: Decimal, reason: str) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.kind != PaymentKind.PAYMENT:
        raise ValidationError("Only a payment can be refunded.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the refund."})
    refunded = payment.refund_lines.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if amount <= 0 or amount > payment.amount - refunded:
        raise ValidationError(
            {"amount": f"A refund is more than zero and at most ${payment.amount - refunded}."}
        )
    result = payment_provider().refund(
        amount=amount, reference=payment.provider_reference, idempotency_key=str(uuid.uuid4())
    )
    if not result.succeeded:
        raise ValidationError(result.message or "The refund did not go through.")
    refund = Payment.objects.create(
        patient=payment.patient,
        kind=PaymentKind.REFUND,
        method=payment.method,
        amount=amount,
        refunds=payment,
        reference=reason.strip()[:60],
        received_by=by,
        provider_reference=result.reference,
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=refund, detail="refund recorded")
    return refund


# ------------------------------------------------------------------------------------------------
# Good Faith Estimates (No Surprises Act, 45 CFR 149.610)


@dataclass(frozen=True)
class EstimateLine:
    kind: str
    code: BillingCode
    sessions: int
    units_per_session: int
    basis: str


def _estimated_session_lines(course: Course, kind: str, minutes: int) -> list[ProposedLine]:
    """What one planned session of ``kind`` is expected to be billed with: the same rules as
    the charges proposed after care, from the protocol's planned minutes and dose."""
    protocol = course.protocol
    lines: list[ProposedLine] = []
    if kind == AppointmentKind.DOSING:
        if protocol.is_esketamine:
            g_code = _active(esketamine_code(course.planned_dose))
            if g_code is not None:
                lines.append(ProposedLine(g_code, 1, f"esketamine {course.planned_dose} mg"))
        else:
            units = monitoring_units_for_minutes(minutes)
            monitoring = _active("0820T")
            if units and monitoring is not None:
                lines.append(
                    ProposedLine(monitoring, units, f"up to {minutes} min monitored per session")
                )
    else:
        code = psychotherapy_code_for_minutes(minutes)
        if code is not None:
            lines.append(ProposedLine(code, 1, f"{minutes} min planned"))
    return _with_defaults(lines, kind=kind, protocol_id=protocol.pk)


def estimate_lines(course: Course) -> list[EstimateLine]:
    """The expected items of a course from its protocol's planned sessions: a preparation
    session, then each dose followed by an integration session (as the course plan books)."""
    protocol = course.protocol
    planned = [
        (AppointmentKind.PREPARATION, 1, protocol.preparation_minutes),
        (AppointmentKind.DOSING, protocol.dosing_sessions, protocol.dosing_minutes),
        (AppointmentKind.INTEGRATION, protocol.dosing_sessions, protocol.integration_minutes),
    ]
    return [
        EstimateLine(kind, line.code, count, line.units, line.basis)
        for kind, count, minutes in planned
        if count
        for line in _estimated_session_lines(course, kind, minutes)
    ]


def gfe_exceeded(*, billed: Decimal, estimated: Decimal, threshold: Decimal) -> bool:
    """Billed charges at least ``threshold`` above the estimate (45 CFR 149.620: "at least
    $400 more"): exactly the threshold above counts."""
    return billed - estimated >= threshold


@transaction.atomic
def gfe_issue(*, course: Course, by: User) -> GoodFaithEstimate:
    """Draws up the course's Good Faith Estimate after the patient's sliding-scale tier and gives
    it to the patient (portal and PDF); a previous estimate of the course is replaced."""
    course = Course.objects.select_for_update().select_related("protocol").get(pk=course.pk)
    if course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
        raise ValidationError("An estimate is for a planned or active course.")
    lines = estimate_lines(course)
    if not lines:
        raise ValidationError(
            "No billing code matches this course's sessions: set the default charges first."
        )
    missing = sorted({line.code.code for line in lines if line.code.fee is None})
    if missing:
        raise ValidationError(
            f"Set a fee for {', '.join(missing)} in the billing codes before drawing up "
            "the estimate."
        )
    tier = patient_tier(course.patient)
    percent = tier.discount_percent if tier else Decimal("0")
    now = timezone.now()
    GoodFaithEstimate.objects.filter(course=course, status=EstimateStatus.ISSUED).update(
        status=EstimateStatus.REPLACED, replaced_at=now
    )
    estimate = GoodFaithEstimate.objects.create(
        patient=course.patient,
        course=course,
        tier_name=tier.name if tier else "",
        discount_percent=percent,
        total=Decimal("0"),
        issued_at=now,
        issued_by=by,
    )
    items = [
        GoodFaithEstimateItem(
            estimate=estimate,
            appointment_kind=line.kind,
            code=line.code,
            description=line.code.description,
            sessions=line.sessions,
            units_per_session=line.units_per_session,
            unit_fee=line.code.fee or Decimal("0"),
            amount=line_amount(
                line.code.fee or Decimal("0"), line.sessions * line.units_per_session, percent
            ),
            basis=line.basis,
        )
        for line in lines
    ]
    GoodFaithEstimateItem.objects.bulk_create(items)
    estimate.total = sum((item.amount for item in items), Decimal("0"))
    estimate.save(update_fields=["total"])
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=estimate,
        detail=f"Good Faith Estimate given, ${estimate.total}",
    )
    # The patient hears that it is on the portal (ids only; no amount or care in the message).
    message_request(
        recipient=patient_recipient(course.patient),
        template_key=ESTIMATE_READY_TEMPLATE,
        idempotency_key=f"{ESTIMATE_READY_TEMPLATE}:{estimate.uuid}",
        refs={"estimate": str(estimate.uuid)},
        essential=True,
    )
    return estimate


@transaction.atomic
def gfe_acknowledge(*, estimate: GoodFaithEstimate, by: User) -> GoodFaithEstimate:
    """The patient acknowledges receiving the estimate; only the patient themself can."""
    estimate = (
        GoodFaithEstimate.objects.select_for_update().select_related("patient").get(pk=estimate.pk)
    )
    if estimate.patient.user_id != by.pk:
        raise PermissionDenied("Only the patient acknowledges their own estimate.")
    if estimate.status != EstimateStatus.ISSUED:
        raise ValidationError("This estimate was replaced by a newer one: acknowledge that one.")
    if estimate.acknowledged_at is not None:
        raise ValidationError("You have already acknowledged this estimate.")
    estimate.acknowledged_at = timezone.now()
    estimate.acknowledged_by = by
    estimate.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=estimate, detail="Good Faith Estimate acknowledged"
    )
    return estimate
