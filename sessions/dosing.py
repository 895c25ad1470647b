"""Writes of the dosing day: readiness and go/no-go, doses, monitoring and discharge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from intake.instruments import CSSRS_SCREENER, PHQ9, PHQ9_SUICIDE_ITEM
from intake.medications import BENZODIAZEPINE, MAOI, PSYCHOSTIMULANT, Z_DRUG, medication_matches
from intake.models import Decision, IntakeStatus, MedicalAssessment, Patient, SexAtBirth
from intake.services import clearance_decisions
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.selectors import trainee_ids
from kap_clinic.templatetags.clinic_time import when
from sessions.controlled import services as ledger
from sessions.controlled.models import StockLot
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    CourseStatus,
    DoseAdministration,
    DoseRule,
    DosingPolicy,
    DosingRecord,
    DosingStatus,
    Observation,
    OtherMedication,
    PregnancyAttestation,
    PregnancyTestResult,
    Protocol,
    Readiness,
    ReadinessOverride,
    SedationDissociationEntry,
    Severity,
    VitalsEntry,
)
from sessions.selectors import patient_is_cleared
from sessions.services import InvalidTransitionError

# How far either side of a due time a vitals entry counts for it, and grace before "overdue".
VITALS_GRACE = timedelta(minutes=5)
# Esketamine starts at 28 mg from this age (CLINICAL.md, Spravato label).
OLDER_ADULT_AGE = 65


def _require_prescriber(user: User, what: str) -> None:
    if user.role != Role.PRESCRIBER:
        raise ValidationError(f"Only a prescriber can {what}.")


def _require_clinician(user: User) -> None:
    if user.role not in (Role.PRESCRIBER, Role.THERAPIST):
        raise ValidationError("Only the clinicians of the session can record monitoring.")


def _clean_and_save(obj: Model) -> None:
    """Validates the row (physiological ranges, choices) and saves it; a clear message if not."""
    obj.full_clean()
    obj.save()


def _protocol(record: DosingRecord) -> Protocol:
    return record.course.protocol


def _audit(record: Model, by: User, detail: str) -> None:
    audit_record(action=AuditAction.UPDATE, actor=by, obj=record, detail=detail)


def local_when(moment: datetime, zone: Any = None) -> str:
    """A time as the clinic reads it: "14:05 EST" today, "Sat 21 Nov 2026, 14:05 EST" on any
    other day (the project's one ``when`` format)."""
    return when(moment, zone)


def _zone(appointment: Appointment) -> ZoneInfo:
    return ZoneInfo(appointment.location.time_zone)


# ------------------------------------------------------------------------------------------------
# Rules that hold at the moment of each step: clearance, course, the session's time window


def dosing_allowed_problems(appointment: Appointment) -> list[str]:
    """Why no dose may be given to this patient today whatever the readiness: clearance withdrawn
    (a later "not cleared" assessment, an intake corrected since) or a course no longer open.
    Checked at check-in, at the start of dosing and at every dose."""
    patient: Patient = appointment.patient
    problems = []
    if not patient_is_cleared(patient):
        problems.append(
            f"{patient.display_name} is not cleared for dosing "
            f"(status: {patient.get_status_display().lower()})."
        )
    elif patient.intakes.filter(status=IntakeStatus.SUBMITTED).exists():
        medical, clinical = clearance_decisions(patient=patient)
        for decision, label in ((medical, "medical"), (clinical, "clinical")):
            if decision != Decision.CLEARED:
                problems.append(
                    f"The {label} clearance is not current (withdrawn, or the intake was "
                    "corrected since): a new assessment is needed before dosing."
                )
    course = appointment.course
    if course is not None and course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
        problems.append(f"The treatment course is {course.get_status_display().lower()}.")
    return problems


def _require_dosing_allowed(appointment: Appointment) -> None:
    problems = dosing_allowed_problems(appointment)
    if problems:
        raise ValidationError("No dosing: " + " ".join(problems))


def check_in_opens_at(appointment: Appointment, policy: DosingPolicy | None = None) -> datetime:
    policy = policy or DosingPolicy.current()
    return appointment.starts_at - timedelta(minutes=policy.check_in_opens_minutes)


def dosing_check_in_check(appointment: Appointment, *, now: datetime | None = None) -> None:
    """A dosing appointment checks in only within the policy window before it (default 2 hours)
    and only while the patient is cleared and the course open."""
    now = now or timezone.now()
    opens = check_in_opens_at(appointment)
    if now < opens:
        raise ValidationError(
            f"Check-in for this dosing session opens at {local_when(opens, _zone(appointment))}."
        )
    _require_dosing_allowed(appointment)


def session_opened_at(record: DosingRecord) -> datetime:
    return record.appointment.checked_in_at or record.arrived_at


def _check_time(
    record: DosingRecord,
    moment: datetime,
    what: str,
    *,
    now: datetime | None = None,
    policy: DosingPolicy | None = None,
) -> None:
    """Every clinical time lies between check-in and now, give or take the policy's clock skew."""
    policy = policy or DosingPolicy.current()
    now = now or timezone.now()
    skew = timedelta(minutes=policy.clock_skew_minutes)
    zone = _zone(record.appointment)
    if moment > now + skew:
        raise ValidationError(
            f"{what} ({local_when(moment, zone)}) is in the future; check the date and time."
        )
    opened = session_opened_at(record)
    if moment < opened - skew:
        raise ValidationError(
            f"{what} ({local_when(moment, zone)}) is before the patient checked in at "
            f"{local_when(opened, zone)}; check the date and time."
        )


@transaction.atomic
def dosing_record_open(*, appointment: Appointment) -> DosingRecord:
    """The dosing record of a checked-in dosing appointment (and its readiness checklist)."""
    Readiness.objects.get_or_create(appointment=appointment)
    record, _ = DosingRecord.objects.get_or_create(appointment=appointment)
    return record


def readiness_for(appointment: Appointment) -> Readiness:
    readiness, _ = Readiness.objects.get_or_create(appointment=appointment)
    return readiness


def _not_in_future(moment: datetime | None, what: str) -> None:
    if moment is None:
        return
    skew = timedelta(minutes=DosingPolicy.current().clock_skew_minutes)
    if moment > timezone.now() + skew:
        raise ValidationError(f"{what} cannot be in the future; check the date and time.")


@transaction.atomic
def readiness_patient_submit(*, readiness: Readiness, by: User, **answers: Any) -> Readiness:
    """The patient's part, online before the session; editable until staff have checked in."""
    if readiness.appointment.patient.user_id != by.id:
        raise ValidationError("Only the patient fills their part of the readiness checklist.")
    if readiness.staff_part_done:
        raise ValidationError("The clinic has already checked you in; tell staff about changes.")
    _not_in_future(answers.get("last_ate_at"), "The time you last ate")
    _not_in_future(answers.get("last_drank_at"), "The time you last drank")
    for name in ("last_ate_at", "last_drank_at"):
        setattr(readiness, name, answers.get(name))
    for name in (
        "escort_name",
        "escort_phone",
        "medications_last_24_hours",
        "pregnancy_attestation",
        "feeling_today",
    ):
        setattr(readiness, name, (answers.get(name) or "").strip())
    readiness.patient_submitted_at = timezone.now()
    _clean_and_save(readiness)
    _audit(readiness, by, "readiness, patient part")
    return readiness


BASELINE_LABELS = {
    "baseline_systolic": "Baseline systolic BP",
    "baseline_diastolic": "Baseline diastolic BP",
    "baseline_heart_rate": "Baseline heart rate",
    "baseline_spo2": "Baseline SpO2",
}


def _answered(answers: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (answers or {}).items() if value not in (None, "")}


@transaction.atomic
def readiness_staff_record(*, readiness: Readiness, by: User, **checks: Any) -> Readiness:
    """The staff part at check-in: identity, consent, escort, weight, baseline vitals, mood
    (every PHQ-9 item; the C-SSRS screener when item 9 is above 0), pregnancy test, fasting."""
    if by.role not in (Role.FRONT_DESK, Role.PRESCRIBER, Role.THERAPIST):
        raise ValidationError("Only clinic staff can check a patient in.")
    _not_in_future(checks.get("last_ate_at"), "The time the patient last ate")
    _not_in_future(checks.get("last_drank_at"), "The time the patient last drank")
    phq9 = checks.pop("predose_phq9_answers", None)
    cssrs = checks.pop("predose_cssrs_answers", None)
    for name, value in checks.items():
        setattr(readiness, name, value)
    if phq9 is not None:
        phq9 = _answered(phq9)
        if phq9:
            cleaned = PHQ9.clean(phq9)
            readiness.predose_phq9_answers = cleaned
            readiness.predose_phq9_total = sum(cleaned.values())
        else:
            readiness.predose_phq9_answers = {}
    if cssrs is not None:
        cssrs = _answered(cssrs)
        readiness.predose_cssrs_answers = CSSRS_SCREENER.clean(cssrs) if cssrs else {}
    test_date = readiness.pregnancy_test_date
    if test_date is not None and test_date > timezone.localdate(
        timezone.now(), _zone(readiness.appointment)
    ):
        raise ValidationError("The pregnancy test date cannot be in the future.")
    readiness.staff_checked_by = by
    readiness.staff_checked_at = timezone.now()
    for name, bounds in (
        ("baseline_systolic", (50, 300)),
        ("baseline_diastolic", (20, 200)),
        ("baseline_heart_rate", (20, 250)),
        ("baseline_spo2", (50, 100)),
    ):
        value = getattr(readiness, name)
        if value is not None and not bounds[0] <= value <= bounds[1]:
            raise ValidationError(
                f"{BASELINE_LABELS[name]} {value} is outside the physiological "
                f"range {bounds[0]}-{bounds[1]}; check the reading."
            )
    _clean_and_save(readiness)
    return readiness


@transaction.atomic
def dosing_check_in(*, readiness: Readiness, by: User, **checks: Any) -> Readiness:
    """Check-in of a dosing appointment: the staff part of readiness, then the appointment is
    checked in (within the policy window, patient still cleared, course open), audited."""
    from sessions.services import appointment_check_in

    appointment = readiness.appointment
    readiness = readiness_staff_record(readiness=readiness, by=by, **checks)
    if appointment.status == AppointmentStatus.BOOKED:
        appointment_check_in(appointment=appointment, by=by)
    _audit(readiness, by, "readiness, staff part; checked in")
    return readiness


def last_recorded_weight(readiness: Readiness) -> tuple[Decimal, datetime] | None:
    """The patient's weight before today's: an earlier check-in, else the medical assessment."""
    patient = readiness.appointment.patient
    earlier = (
        Readiness.objects.filter(
            appointment__patient=patient,
            weight_kg__isnull=False,
            staff_checked_at__isnull=False,
            appointment__starts_at__lt=readiness.appointment.starts_at,
        )
        .exclude(id=readiness.id)
        .order_by("-appointment__starts_at")
        .first()
    )
    if earlier is not None and earlier.weight_kg is not None:
        return earlier.weight_kg, earlier.appointment.starts_at
    assessment = (
        MedicalAssessment.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    )
    if assessment is not None:
        return assessment.weight_kg, assessment.created_at
    return None


def can_become_pregnant(patient: Patient) -> bool:
    """Everyone but a patient recorded male at birth: unknown counts as possible (safe side)."""
    return patient.sex_at_birth != SexAtBirth.MALE


def _medicine_classes(text: str) -> dict[str, list[str]]:
    """Review classes of a free-text medicine list: {class label: [matched names]}."""
    found: dict[str, list[str]] = {}
    for match in medication_matches(text):
        found.setdefault(match.review_class.label, []).append(match.name.name)
    return found


@dataclass(frozen=True)
class NoGo:
    """One reason not to dose now, with its stable code; ``override`` when a prescriber has
    overridden exactly this reason."""

    code: str
    message: str
    override: ReadinessOverride | None = None

    def __str__(self) -> str:
        return self.message


def _fasting_no_go(
    readiness: Readiness, name: str, hours: int, what: str, now: datetime, policy: DosingPolicy
) -> tuple[str, str] | None:
    moment = getattr(readiness, name)
    zone = _zone(readiness.appointment)
    if moment is None:
        return (f"{name}_missing", f"When the patient last {what} is not recorded.")
    if moment > now + timedelta(minutes=policy.clock_skew_minutes):
        return (f"{name}_future", f"The time the patient last {what} is in the future.")
    if moment > now - timedelta(hours=hours):
        # The message names the recorded time, not a running count, so an override holds.
        return (
            f"{name}_too_recent",
            f"Last {what} at {local_when(moment, zone)}: less than {hours} hours before dosing.",
        )
    return None


def _readiness_reasons(
    readiness: Readiness, policy: DosingPolicy, now: datetime
) -> list[tuple[str, str]]:
    reasons: list[tuple[str, str]] = []
    add = reasons.append
    appointment = readiness.appointment
    patient = appointment.patient
    if not readiness.patient_part_done:
        add(("patient_part_missing", "The patient's part of the readiness checklist is missing."))
    elif not readiness.escort_name:
        add(("escort_missing", "No escort is named."))
    if readiness.pregnancy_attestation == PregnancyAttestation.PREGNANT_OR_UNSURE:
        add(("pregnancy_attested", "The patient may be pregnant or breastfeeding."))
    for name, label in (
        ("identity_confirmed", "Identity not confirmed."),
        ("consent_current", "Consent not confirmed as current."),
        ("escort_confirmed", "Escort not confirmed."),
    ):
        if not getattr(readiness, name):
            add((name, label))
    # Fasting: no solids for 6 h, clear liquids until 2 h before (CLINICAL.md, policy).
    for name, hours, what in (
        ("last_ate_at", policy.fasting_solids_hours, "ate"),
        ("last_drank_at", policy.clear_liquids_hours, "drank"),
    ):
        fasting = _fasting_no_go(readiness, name, hours, what, now, policy)
        if fasting:
            add(fasting)
    if readiness.baseline_systolic is None or readiness.baseline_diastolic is None:
        add(("baseline_bp_missing", "Baseline blood pressure missing."))
    elif (
        # Pre-dose BP above the policy threshold, 140/90 by default (CLINICAL.md, label).
        readiness.baseline_systolic > policy.predose_systolic_maximum
        or readiness.baseline_diastolic > policy.predose_diastolic_maximum
    ):
        add(
            (
                "baseline_bp_high",
                f"Baseline blood pressure {readiness.baseline_systolic}/"
                f"{readiness.baseline_diastolic} is above {policy.predose_systolic_maximum}/"
                f"{policy.predose_diastolic_maximum}.",
            )
        )
    if readiness.baseline_heart_rate is None or readiness.baseline_spo2 is None:
        add(("baseline_heart_rate_spo2_missing", "Baseline heart rate or SpO2 missing."))
    # Suicide risk on the day: every PHQ-9 item; item 9 above 0 needs the C-SSRS screener, and
    # moderate or high risk waits for the prescriber's review (CLINICAL.md, Instruments).
    phq9 = readiness.predose_phq9_answers or {}
    if len(_answered(phq9)) < len(PHQ9.items):
        add(("phq9_missing", "The pre-dose PHQ-9 (every item, including item 9) is missing."))
    elif phq9.get(PHQ9_SUICIDE_ITEM, 0) > 0:
        cssrs = readiness.predose_cssrs_answers or {}
        try:
            band = CSSRS_SCREENER.score(cssrs).band if cssrs else None
        except ValidationError:
            band = None
        if band is None:
            add(
                (
                    "cssrs_missing",
                    "PHQ-9 item 9 is above 0: complete the C-SSRS screener before dosing.",
                )
            )
        elif band.key in ("moderate", "high"):
            add(
                (
                    "suicide_risk",
                    f"C-SSRS screener today: {band.label.lower()}. The prescriber reviews the "
                    "risk before any dose.",
                )
            )
    course = appointment.course
    weight_based = course is not None and course.protocol.dose_rule == DoseRule.MG_PER_KG
    if weight_based and readiness.weight_kg is None:
        add(("weight_missing", "Today's weight is needed for a weight-based dose."))
    if readiness.weight_kg is not None and not readiness.weight_change_confirmed:
        last = last_recorded_weight(readiness)
        if last is not None and last[0] > 0:
            change = abs(readiness.weight_kg - last[0]) / last[0] * 100
            # More than the policy's 10 % from the last weight: pounds typed as kilograms?
            if change > policy.weight_change_percent:
                add(
                    (
                        "weight_change",
                        f"Today's weight {readiness.weight_kg} kg is {change:.0f} % from the last "
                        f"recorded {last[0]} kg ({local_when(last[1], _zone(appointment))}): "
                        "re-weigh, check kg and lb, and confirm.",
                    )
                )
    if policy.pregnancy_test_required and can_become_pregnant(patient):
        test_date = readiness.pregnancy_test_date
        today = timezone.localdate(now, _zone(appointment))
        if readiness.pregnancy_test_result == PregnancyTestResult.POSITIVE:
            add(("pregnancy_test_positive", "The pregnancy test is positive."))
        elif (
            test_date is None
            or not readiness.pregnancy_test_result
            or (today - test_date).days > policy.pregnancy_test_valid_days
        ):
            add(
                (
                    "pregnancy_test_missing",
                    "No pregnancy test result from the last "
                    f"{policy.pregnancy_test_valid_days} day"
                    f"{'' if policy.pregnancy_test_valid_days == 1 else 's'} "
                    "for a patient who can become pregnant.",
                )
            )
    medicines = _medicine_classes(readiness.medications_last_24_hours)
    if medicines:
        listed = "; ".join(f"{label}: {', '.join(names)}" for label, names in medicines.items())
        add(
            (
                "medicines_last_24_hours",
                f"Medicines in the last 24 hours need the prescriber's review ({listed}).",
            )
        )
    return reasons


def readiness_no_go(
    readiness: Readiness, *, policy: DosingPolicy | None = None, now: datetime | None = None
) -> list[NoGo]:
    """Every reason not to dose now by the clinic's policy, each with the prescriber's override of
    exactly that reason if there is one; empty means go."""
    policy = policy or DosingPolicy.current()
    now = now or timezone.now()
    overrides = {(o.code, o.problem): o for o in readiness.overrides.all()}
    return [
        NoGo(code, message, overrides.get((code, message)))
        for code, message in _readiness_reasons(readiness, policy, now)
    ]


def readiness_problems(readiness: Readiness, *, policy: DosingPolicy | None = None) -> list[str]:
    """Why dosing should not start (no-go), by the clinic's policy; empty means go."""
    return [no_go.message for no_go in readiness_no_go(readiness, policy=policy)]


@transaction.atomic
def readiness_override(*, readiness: Readiness, code: str, reason: str, by: User) -> Readiness:
    """A prescriber overrides one no-go reason with its own written reason (e.g. the review of a
    positive suicide-risk screen). It covers that reason as it reads now, nothing else."""
    _require_prescriber(by, "override a no-go")
    reason = reason.strip()
    if not reason:
        raise ValidationError("An override needs a reason.")
    current = {no_go.code: no_go for no_go in readiness_no_go(readiness)}
    no_go = current.get(code)
    if no_go is None:
        raise ValidationError("That no-go no longer applies; reload the page.")
    ReadinessOverride.objects.create(
        readiness=readiness,
        code=code,
        problem=no_go.message[:500],
        reason=reason[:500],
        overridden_by=by,
    )
    _audit(DosingRecord.objects.get(appointment=readiness.appointment), by, "no-go override")
    return readiness


def _require_licensed_clinician_present(appointment: Appointment) -> None:
    """A trainee is never the only clinician at a dosing session (issue #19, Scope).

    Present: the appointment's therapist and medical monitor. Policy
    ``SUPERVISION_TRAINEE_MAY_DOSE_ALONE`` (default False, the safe choice) lifts the rule.
    """
    if getattr(settings, "SUPERVISION_TRAINEE_MAY_DOSE_ALONE", False):
        return
    present = [
        pk for pk in (appointment.therapist_id, appointment.medical_monitor_id) if pk is not None
    ]
    if present and set(present) <= trainee_ids(user_ids=present):
        raise ValidationError(
            "A trainee cannot be the only clinician at a dosing session: "
            "add a licensed therapist or medical monitor to the appointment."
        )


@transaction.atomic
def dosing_start(*, record: DosingRecord, by: User) -> DosingRecord:
    """Go: the session starts when every no-go reason is cleared or overridden on its own."""
    _require_prescriber(by, "start a dosing session")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    if not record.can_become(DosingStatus.IN_PROGRESS):
        raise InvalidTransitionError(
            f"A session that is {record.get_status_display().lower()} cannot start."
        )
    _require_dosing_allowed(record.appointment)
    course = record.appointment.course
    if course is not None and not course.plan_is_signed:
        raise ValidationError(
            "The treatment plan is not signed: the prescriber sets the dose and signs the plan "
            "on the course page before the first dose."
        )
    _require_licensed_clinician_present(record.appointment)
    from sessions.rems.selectors import rems_dosing_problems

    rems_problems = rems_dosing_problems(record.appointment)
    if rems_problems:
        raise ValidationError(rems_problems)
    readiness = readiness_for(record.appointment)
    blocking = [no_go.message for no_go in readiness_no_go(readiness) if no_go.override is None]
    if blocking:
        raise ValidationError(
            "No-go: "
            + " ".join(blocking)
            + " A prescriber may override each reason with its own reason."
        )
    record.status = DosingStatus.IN_PROGRESS
    record.started_at = timezone.now()
    record.started_by = by
    record.save(update_fields=["status", "started_at", "started_by"])
    appointment = record.appointment
    if appointment.status == AppointmentStatus.CHECKED_IN:
        appointment.status = AppointmentStatus.IN_PROGRESS
        appointment.save(update_fields=["status"])
    _audit(record, by, "session started")
    return record


def _require_in_progress(record: DosingRecord) -> None:
    if record.status != DosingStatus.IN_PROGRESS:
        raise InvalidTransitionError(
            f"The session is {record.get_status_display().lower()}; nothing can be recorded now."
        )


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def dose_administer(
    *,
    record: DosingRecord,
    dose_mg: object,
    lot_number: str,
    started_at: datetime,
    ended_at: datetime,
    by: User,
    waste_mg: object = 0,
    waste_witnessed_by: User | None = None,
    stock_lot: StockLot | None = None,
    waste_witness_password: str = "",
) -> DoseAdministration:
    """Records one administration (for esketamine: one device), refused outside the protocol.
    Where the location keeps the drug in the controlled-substance ledger, the dose names the lot
    it came from and is posted to the ledger in the same transaction."""
    _require_prescriber(by, "record a dose")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    _require_in_progress(record)
    _require_dosing_allowed(record.appointment)
    protocol = _protocol(record)
    if stock_lot is not None:
        lot_number = stock_lot.lot_number
    elif ledger.ledger_in_use(location_id=record.appointment.location_id, drug=protocol.drug):
        raise ValidationError("Choose the lot from the safe the dose was taken from.")
    _check_time(record, started_at, "The dose start")
    _check_time(record, ended_at, "The dose end")
    try:
        dose = Decimal(str(dose_mg))
        waste = Decimal(str(waste_mg or 0))
    except InvalidOperation as error:
        raise ValidationError("Doses must be numbers of mg.") from error
    if dose <= 0 or waste < 0:
        raise ValidationError("The dose must be more than 0 mg and the waste not negative.")
    if not lot_number.strip():
        raise ValidationError("The lot number is required.")
    if ended_at < started_at:
        raise ValidationError("The administration cannot end before it starts.")
    if waste > 0 and (waste_witnessed_by is None or waste_witnessed_by.id == by.id):
        raise ValidationError("Wasted medicine needs a witness other than who gave the dose.")
    # Spacing on the real administration times, not the appointments' (a late first infusion).
    spacing = timedelta(hours=protocol.minimum_spacing_hours)
    near = (
        DoseAdministration.objects.filter(
            dosing_record__appointment__patient=record.appointment.patient,
            started_at__gt=started_at - spacing,
            started_at__lt=started_at + spacing,
        )
        .exclude(dosing_record=record)
        .order_by("-started_at")
        .first()
    )
    if near is not None:
        raise ValidationError(
            f"Doses must be at least {protocol.minimum_spacing_hours} hours apart under "
            f"{protocol.name}; a dose in another session started at "
            f"{local_when(near.started_at, _zone(record.appointment))}."
        )
    previous = list(record.doses.order_by("started_at"))
    given_before = sum((d.dose_mg for d in previous), Decimal("0"))
    weight = readiness_for(record.appointment).weight_kg
    if protocol.device_mg:
        # Esketamine: 28 mg per device, 5 minutes between devices (CLINICAL.md, label).
        if dose != protocol.device_mg:
            raise ValidationError(f"Each device gives {protocol.device_mg} mg; record one device.")
        gap = timedelta(minutes=protocol.minutes_between_devices or 0)
        if previous and started_at < previous[-1].started_at + gap:
            raise ValidationError(
                f"Devices must be at least {protocol.minutes_between_devices} minutes apart."
            )
    total = given_before + dose
    maximum = _session_maximum(record, protocol)
    if protocol.dose_rule == DoseRule.MG_PER_KG:
        if weight is None:
            raise ValidationError("Record today's weight at check-in before a weight-based dose.")
        # Compared before rounding: 35.4 mg at 70 kg is 0.5057 mg/kg, above a 0.5 ceiling.
        per_kg = total / weight
        too_low = not protocol.device_mg and per_kg < protocol.dose_minimum
        if per_kg > maximum or too_low:
            shown = per_kg.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            raise ValidationError(
                f"{total} mg is {shown} mg/kg at {weight} kg, outside {protocol.dose_minimum}-"
                f"{maximum} mg/kg under {protocol.name}."
            )
    else:
        too_low = not protocol.device_mg and total < protocol.dose_minimum
        if total > maximum or too_low:
            raise ValidationError(
                f"{total} mg this session is outside {protocol.dose_minimum}-"
                f"{maximum} mg under {protocol.name}."
            )
    from sessions.monitoring.services import room_ready_require

    room_ready_require(room=record.appointment.room, at=started_at)
    dose_row = DoseAdministration.objects.create(
        dosing_record=record,
        drug=protocol.drug,
        route=protocol.route,
        dose_mg=dose,
        dose_mg_per_kg=(dose / weight).quantize(Decimal("0.001")) if weight else None,
        weight_kg=weight,
        lot_number=lot_number.strip()[:60],
        started_at=started_at,
        ended_at=ended_at,
        given_by=by,
        waste_mg=waste,
        waste_witnessed_by=waste_witnessed_by,
    )
    if stock_lot is not None:
        ledger.administration_post(
            dose=dose_row, stock_lot=stock_lot, by=by, witness_password=waste_witness_password
        )
    _audit(record, by, "dose recorded")
    return dose_row


def _session_maximum(record: DosingRecord, protocol: Protocol) -> Decimal:
    """The ceiling of this session: lower on a course's first dosing session where the protocol
    says so (esketamine: 56 mg, 28 mg at 65 or older; CLINICAL.md, label)."""
    if protocol.first_session_dose_maximum is None:
        return protocol.dose_maximum
    earlier = DoseAdministration.objects.filter(
        dosing_record__appointment__course=record.course
    ).exclude(dosing_record=record)
    if earlier.exists():
        return protocol.dose_maximum
    patient = record.appointment.patient
    if (
        protocol.first_session_dose_maximum_65_and_over is not None
        and patient.age_on(timezone.localdate()) >= OLDER_ADULT_AGE
    ):
        return protocol.first_session_dose_maximum_65_and_over
    return protocol.first_session_dose_maximum


def session_dose_mg(record: DosingRecord) -> Decimal:
    return record.doses.aggregate(total=Sum("dose_mg"))["total"] or Decimal("0")


@transaction.atomic
def other_medication_record(
    *,
    record: DosingRecord,
    medicine: str,
    dose: str,
    route: str,
    reason: str,
    given_at: datetime,
    by: User,
) -> OtherMedication:
    _require_prescriber(by, "record a medicine")
    _require_in_progress(record)
    if not reason.strip():
        raise ValidationError("Say why the medicine was given.")
    _check_time(record, given_at, "The time the medicine was given")
    medication = OtherMedication(
        dosing_record=record,
        medicine=medicine.strip(),
        dose=dose.strip(),
        route=route.strip(),
        reason=reason.strip(),
        given_at=given_at,
        given_by=by,
    )
    _clean_and_save(medication)
    _audit(record, by, "other medicine recorded")
    return medication


@transaction.atomic
def other_medication_explained(*, medication: OtherMedication, by: User) -> OtherMedication:
    _require_clinician(by)
    medication.explained_to_patient_at = timezone.now()
    medication.save(update_fields=["explained_to_patient_at"])
    _audit(medication.dosing_record, by, "other medicine explained to the patient")
    return medication


@transaction.atomic
def vitals_record(
    *,
    record: DosingRecord,
    taken_at: datetime,
    blood_pressure_systolic: int,
    blood_pressure_diastolic: int,
    heart_rate: int,
    spo2: int,
    by: User,
    respiratory_rate: int | None = None,
) -> VitalsEntry:
    _require_clinician(by)
    _require_in_progress(record)
    _check_time(record, taken_at, "The vitals time")
    entry = VitalsEntry(
        dosing_record=record,
        taken_at=taken_at,
        blood_pressure_systolic=blood_pressure_systolic,
        blood_pressure_diastolic=blood_pressure_diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        respiratory_rate=respiratory_rate,
        recorded_by=by,
    )
    _clean_and_save(entry)
    _audit(record, by, "vitals recorded")
    from sessions.monitoring.services import vitals_alerts_raise

    vitals_alerts_raise(entry=entry, by=by)
    return entry


@transaction.atomic
def scores_record(
    *, record: DosingRecord, taken_at: datetime, moaas: int, cadss: dict[int, int], by: User
) -> SedationDissociationEntry:
    _require_clinician(by)
    _require_in_progress(record)
    _check_time(record, taken_at, "The assessment time")
    entry = SedationDissociationEntry(
        dosing_record=record,
        taken_at=taken_at,
        moaas=moaas,
        recorded_by=by,
        **{f"cadss_item_{item}": score for item, score in cadss.items()},
    )
    _clean_and_save(entry)
    _audit(record, by, "scores recorded")
    return entry


@transaction.atomic
def observation_record(
    *, record: DosingRecord, observed_at: datetime, text: str, by: User
) -> Observation:
    _require_clinician(by)
    _require_in_progress(record)
    if not text.strip():
        raise ValidationError("Write the observation.")
    _check_time(record, observed_at, "The observation time")
    observation = Observation.objects.create(
        dosing_record=record, observed_at=observed_at, text=text.strip(), recorded_by=by
    )
    _audit(record, by, "observation recorded")
    return observation


@transaction.atomic
def adverse_event_record(
    *,
    record: DosingRecord,
    occurred_at: datetime,
    description: str,
    severity: str,
    action_taken: str,
    by: User,
) -> AdverseEvent:
    _require_clinician(by)
    _require_in_progress(record)
    if severity not in Severity.values:
        raise ValidationError("Choose a severity.")
    _check_time(record, occurred_at, "The time of the adverse event")
    event = AdverseEvent(
        dosing_record=record,
        occurred_at=occurred_at,
        description=description.strip(),
        severity=severity,
        action_taken=action_taken.strip(),
        recorded_by=by,
    )
    _clean_and_save(event)
    _audit(record, by, "adverse event recorded")
    return event


# ------------------------------------------------------------------------------------------------
# The vitals schedule


def dosed_at(record: DosingRecord) -> datetime | None:
    """When the first dose started (monitoring time counts from it)."""
    doses = list(record.doses.all())
    return min(dose.started_at for dose in doses) if doses else None


@dataclass(frozen=True)
class VitalsDue:
    due_at: datetime
    done: bool
    overdue: bool
    is_peak_blood_pressure: bool


def vitals_schedule(record: DosingRecord, *, now: datetime | None = None) -> list[VitalsDue]:
    """Vitals due on the protocol's cadence from the first dose, with the ~40-minute BP check
    (CLINICAL.md: BP peaks about 40 min after dosing), each marked done or overdue."""
    start = dosed_at(record)
    if start is None:
        return []
    now = now or timezone.now()
    protocol = _protocol(record)
    minutes: set[int] = set(
        range(0, protocol.administration_minutes + 1, protocol.vitals_every_minutes_during)
    )
    minutes |= set(
        range(
            protocol.administration_minutes,
            protocol.minimum_monitoring_minutes + 1,
            protocol.vitals_every_minutes_after,
        )
    )
    minutes |= {protocol.blood_pressure_check_minutes, protocol.minimum_monitoring_minutes}
    due_times = [start + timedelta(minutes=m) for m in sorted(minutes)]
    taken = [entry.taken_at for entry in record.vitals.all()]
    schedule = []
    for index, due in enumerate(due_times):
        window_end = due_times[index + 1] if index + 1 < len(due_times) else due + VITALS_GRACE
        done = any(
            due - VITALS_GRACE <= moment < max(window_end, due + VITALS_GRACE) for moment in taken
        )
        schedule.append(
            VitalsDue(
                due_at=due,
                done=done,
                overdue=not done and now > due + VITALS_GRACE,
                is_peak_blood_pressure=due
                == start + timedelta(minutes=protocol.blood_pressure_check_minutes),
            )
        )
    return schedule


def vitals_next_due(record: DosingRecord, *, now: datetime | None = None) -> VitalsDue | None:
    return next((due for due in vitals_schedule(record, now=now) if not due.done), None)


# ------------------------------------------------------------------------------------------------
# Discharge


def monitoring_started_at(record: DosingRecord) -> datetime | None:
    """Where the minimum monitoring time counts from: the first dose, or for esketamine the last
    device (a conservative reading of "2 hours after administration", CLINICAL.md)."""
    doses = list(record.doses.all())
    if not doses:
        return None
    if _protocol(record).is_esketamine:
        return max(dose.ended_at for dose in doses)
    return min(dose.started_at for dose in doses)


def monitoring_minutes(record: DosingRecord, *, now: datetime | None = None) -> int:
    start = dosed_at(record)
    if start is None:
        return 0
    return int(((now or timezone.now()) - start).total_seconds() // 60)


def missed_vitals(record: DosingRecord, *, now: datetime | None = None) -> list[VitalsDue]:
    """Scheduled vitals checks that were due and not done: listed at discharge."""
    return [due for due in vitals_schedule(record, now=now) if due.overdue]


def discharge_problems(
    record: DosingRecord,
    *,
    now: datetime | None = None,
    baseline_missing_judgement: str = "",
    missed_vitals_acknowledged: bool = False,
) -> list[str]:
    """What stands between this patient and discharge on the record itself (the clinician's own
    checks come from the form): monitoring time, reassessment of sedation, dissociation and blood
    pressure within the policy's minutes, the ~40-minute BP for esketamine, missed vitals."""
    policy = DosingPolicy.current()
    now = now or timezone.now()
    protocol = _protocol(record)
    zone = _zone(record.appointment)
    problems: list[str] = []
    start = monitoring_started_at(record)
    if start is None:
        return ["No dose is recorded; end the session without discharge instead."]
    minutes = int((now - start).total_seconds() // 60)
    if minutes < protocol.minimum_monitoring_minutes:
        counted = "the last device" if protocol.is_esketamine else "the first dose"
        problems.append(
            f"Monitoring has run {minutes} minutes from {counted}; {protocol.name} needs at "
            f"least {protocol.minimum_monitoring_minutes} before discharge."
        )
    recent = now - timedelta(minutes=policy.discharge_assessment_minutes)
    skew = timedelta(minutes=policy.clock_skew_minutes)
    # Judged on the readings actually taken last (by time taken, never a future time).
    scores = record.scores.filter(taken_at__lte=now + skew).order_by("-taken_at", "-id").first()
    window = policy.discharge_assessment_minutes
    if scores is None:
        problems.append("Assess sedation (MOAA/S) and dissociation (CADSS-6) before discharge.")
    elif scores.taken_at < recent:
        problems.append(
            f"Reassess sedation and dissociation: the last assessment was at "
            f"{local_when(scores.taken_at, zone)}, more than {window} minutes ago."
        )
    else:
        # Resolution: MOAA/S 5 (responds readily to name, CLINICAL.md) and CADSS-6 at or below
        # the policy's threshold.
        if scores.moaas < 5:
            problems.append(
                f"Sedation has not resolved: MOAA/S {scores.moaas} at "
                f"{local_when(scores.taken_at, zone)} (5 needed)."
            )
        if scores.cadss6_total > policy.discharge_cadss6_maximum:
            problems.append(
                f"Dissociation has not resolved: CADSS-6 {scores.cadss6_total} at "
                f"{local_when(scores.taken_at, zone)} (at most {policy.discharge_cadss6_maximum})."
            )
    last = record.vitals.filter(taken_at__lte=now + skew).order_by("-taken_at", "-id").first()
    readiness = readiness_for(record.appointment)
    if last is None:
        problems.append("Record vitals before discharge.")
    elif last.taken_at < recent:
        problems.append(
            f"Take the blood pressure again: the last reading was at "
            f"{local_when(last.taken_at, zone)}, more than {window} minutes ago."
        )
    elif readiness.baseline_systolic is None or readiness.baseline_diastolic is None:
        if not baseline_missing_judgement.strip():
            problems.append(
                "There is no baseline blood pressure (the no-go was overridden): the prescriber "
                "records a judgement of the last reading, with the reason."
            )
    else:
        # "Vitals near baseline" on systolic and diastolic (CLINICAL.md, Discharge; policy).
        for value, baseline, margin, label in (
            (
                last.blood_pressure_systolic,
                readiness.baseline_systolic,
                policy.discharge_systolic_margin,
                "systolic",
            ),
            (
                last.blood_pressure_diastolic,
                readiness.baseline_diastolic,
                policy.discharge_diastolic_margin,
                "diastolic",
            ),
        ):
            if value > baseline + margin:
                problems.append(
                    f"The last {label} BP {value} ({local_when(last.taken_at, zone)}) is more "
                    f"than {margin} above baseline {baseline}."
                )
    if protocol.is_esketamine:
        peak = [due for due in vitals_schedule(record, now=now) if due.is_peak_blood_pressure]
        if peak and not peak[0].done and now >= peak[0].due_at:
            problems.append(
                f"The blood pressure about {protocol.blood_pressure_check_minutes} minutes after "
                f"dosing (due {local_when(peak[0].due_at, zone)}) is not recorded."
            )
    missed = missed_vitals(record, now=now)
    if missed and not missed_vitals_acknowledged:
        problems.append(
            "Scheduled vitals were missed ("
            + ", ".join(local_when(due.due_at, zone) for due in missed)
            + "): acknowledge them to discharge."
        )
    return problems


# REMS concomitant-medicine fields and the review classes that propose them (CLINICAL.md).
CONCOMITANT_FIELDS = (
    ("concomitant_benzodiazepine", BENZODIAZEPINE),
    ("concomitant_non_benzodiazepine_hypnotic", Z_DRUG),
    ("concomitant_psychostimulant", PSYCHOSTIMULANT),
    ("concomitant_maoi", MAOI),
)


def concomitant_proposals(record: DosingRecord) -> dict[str, list[str]]:
    """Concomitant medicines the REMS form asks about, proposed for the prescriber to confirm:
    {field: ["Xanax (intake medication list)", ...]} from the intake medication list, the
    readiness form's last-24-hours medicines and the medicines given in the session."""
    appointment = record.appointment
    sources: list[tuple[str, str]] = []
    intake = appointment.patient.intakes.filter(status=IntakeStatus.SUBMITTED).first()
    if intake is not None:
        for row in (intake.answers.get("medications") or {}).get("medications", []):
            sources.append((str(row.get("name", "")), "intake medication list"))
    sources.append((readiness_for(appointment).medications_last_24_hours, "last 24 hours"))
    for medication in record.other_medications.all():
        sources.append((medication.medicine, "given in the session"))
    keys = dict((key, field) for field, key in CONCOMITANT_FIELDS)
    proposals: dict[str, list[str]] = {field: [] for field, _ in CONCOMITANT_FIELDS}
    for text, where in sources:
        for match in medication_matches(text):
            field = keys.get(match.review_class.key)
            label = f"{match.name.name.capitalize()} ({where})"
            if field and label not in proposals[field]:
                proposals[field].append(label)
    return proposals


@transaction.atomic
def dosing_discharge(
    *,
    record: DosingRecord,
    vitals_near_baseline: bool,
    alert_and_oriented: bool,
    walking_unaided: bool,
    escort_present: bool,
    ready_to_leave_at: datetime,
    summary: str,
    by: User,
    concomitant_benzodiazepine: bool = False,
    concomitant_non_benzodiazepine_hypnotic: bool = False,
    concomitant_psychostimulant: bool = False,
    concomitant_maoi: bool = False,
    concomitant_confirmed: bool = False,
    baseline_missing_judgement: str = "",
    missed_vitals_acknowledged: bool = False,
) -> DosingRecord:
    """Discharges the patient when every criterion holds (discharge_problems and the clinician's
    checks) and the minimum monitoring time is met; the summary goes to the chart."""
    _require_prescriber(by, "discharge a patient")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    if not record.can_become(DosingStatus.DISCHARGED):
        raise InvalidTransitionError(
            f"A session that is {record.get_status_display().lower()} cannot be discharged."
        )
    now = timezone.now()
    if not record.doses.exists():
        raise ValidationError("No dose is recorded; end the session without discharge instead.")
    missing = [
        label
        for ok, label in (
            (vitals_near_baseline, "vitals near baseline"),
            (alert_and_oriented, "alert and oriented"),
            (walking_unaided, "walking unaided"),
            (escort_present, "escort present"),
        )
        if not ok
    ]
    problems = discharge_problems(
        record,
        now=now,
        baseline_missing_judgement=baseline_missing_judgement,
        missed_vitals_acknowledged=missed_vitals_acknowledged,
    )
    if missing:
        problems.insert(0, "Discharge criteria not met: " + ", ".join(missing) + ".")
    unexplained = [
        m.medicine for m in record.other_medications.all() if not m.explained_to_patient_at
    ]
    if unexplained:
        problems.append(
            "Explain to the patient the medicine given during the session before discharge: "
            + ", ".join(unexplained)
            + "."
        )
    first_dose = dosed_at(record)
    if first_dose is None or not first_dose <= ready_to_leave_at <= now:
        problems.append("The ready-to-leave time must fall between the dose and now.")
    if not summary.strip():
        problems.append("Write the session summary for the chart.")
    if problems:
        raise ValidationError(problems)
    zone = _zone(record.appointment)
    record.status = DosingStatus.DISCHARGED
    record.vitals_near_baseline = vitals_near_baseline
    record.alert_and_oriented = alert_and_oriented
    record.walking_unaided = walking_unaided
    record.escort_present = escort_present
    record.ready_to_leave_at = ready_to_leave_at
    record.discharged_at = now
    record.discharged_by = by
    record.summary = summary.strip()
    record.concomitant_benzodiazepine = concomitant_benzodiazepine
    record.concomitant_non_benzodiazepine_hypnotic = concomitant_non_benzodiazepine_hypnotic
    record.concomitant_psychostimulant = concomitant_psychostimulant
    record.concomitant_maoi = concomitant_maoi
    record.concomitant_confirmed = concomitant_confirmed
    record.baseline_missing_judgement = baseline_missing_judgement.strip()[:500]
    missed = missed_vitals(record, now=now)
    record.missed_vitals_acknowledged = (
        ("Missed: " + ", ".join(local_when(due.due_at, zone) for due in missed))[:500]
        if missed
        else ""
    )
    record.save()
    appointment = record.appointment
    if appointment.status == AppointmentStatus.IN_PROGRESS:
        appointment.status = AppointmentStatus.COMPLETED
        appointment.save(update_fields=["status"])
        from sessions.billing.services import charges_propose

        charges_propose(appointment=appointment, by=by)
    if _protocol(record).rems_form_required:
        from sessions.rems.services import rems_form_open

        rems_form_open(record=record)
    _audit(record, by, "discharged")
    return record


@dataclass(frozen=True)
class RemsField:
    label: str
    value: str
    missing: bool


NOT_ASSESSED = "Not assessed"
NOT_DISCHARGED = "Not recorded: the patient is not yet discharged"


def _blood_pressure(entry: VitalsEntry | None, zone: ZoneInfo) -> str:
    if entry is None:
        return ""
    return (
        f"{entry.blood_pressure_systolic}/{entry.blood_pressure_diastolic} mmHg "
        f"({local_when(entry.taken_at, zone)})"
    )


def peak_blood_pressure_entry(record: DosingRecord) -> VitalsEntry | None:
    """The reading that counts as the blood pressure about 40 minutes after dosing (CLINICAL.md):
    the first taken in that check's window of the vitals schedule."""
    schedule = vitals_schedule(record)
    for index, due in enumerate(schedule):
        if not due.is_peak_blood_pressure:
            continue
        end = schedule[index + 1].due_at if index + 1 < len(schedule) else due.due_at
        end = max(end, due.due_at + VITALS_GRACE)
        entries = sorted(record.vitals.all(), key=lambda entry: entry.taken_at)
        return next(
            (e for e in entries if due.due_at - VITALS_GRACE <= e.taken_at < end),
            None,
        )
    return None


def rems_form_fields(record: DosingRecord) -> list[RemsField]:
    """The fields of the REMS Patient Monitoring Form (CLINICAL.md), filled from the dosing
    record, "Not assessed" where the record holds nothing: never a "No" for a question nobody
    asked. A field marked missing blocks the prescriber's signature."""
    zone = _zone(record.appointment)
    doses = list(record.doses.all())
    scores = list(record.scores.all())
    vitals = sorted(record.vitals.all(), key=lambda entry: entry.taken_at)
    fields: list[RemsField] = []

    def add(label: str, value: str | None, missing: str = NOT_ASSESSED) -> None:
        fields.append(RemsField(label, value or missing, not value))

    total = sum((dose.dose_mg for dose in doses), Decimal("0"))
    add(
        "Dose", f"{total} mg ({len(doses)} device{'s' if len(doses) != 1 else ''})" if doses else ""
    )
    add("Lot number(s)", ", ".join(dict.fromkeys(dose.lot_number for dose in doses)))
    on_site = ""
    if record.discharged_at:
        minutes = int((record.discharged_at - record.arrived_at).total_seconds() // 60)
        on_site = (
            f"{minutes} (arrived {local_when(record.arrived_at, zone)}, "
            f"left {local_when(record.discharged_at, zone)})"
        )
    add("Minutes on site", on_site, NOT_DISCHARGED)
    add(
        "Time the patient would have been ready to leave without the 2-hour rule",
        local_when(record.ready_to_leave_at, zone) if record.ready_to_leave_at else "",
        NOT_DISCHARGED,
    )
    # Blood pressure before dosing, about 40 minutes after and before discharge (CLINICAL.md).
    readiness = readiness_for(record.appointment)
    baseline = ""
    if readiness.baseline_systolic is not None and readiness.baseline_diastolic is not None:
        baseline = f"{readiness.baseline_systolic}/{readiness.baseline_diastolic} mmHg"
    add("Blood pressure before dosing", baseline)
    add(
        "Blood pressure about 40 minutes after dosing",
        _blood_pressure(peak_blood_pressure_entry(record), zone),
    )
    before_discharge = None
    if record.discharged_at:
        taken = [entry for entry in vitals if entry.taken_at <= record.discharged_at]
        before_discharge = taken[-1] if taken else None
        add("Blood pressure before discharge", _blood_pressure(before_discharge, zone))
    else:
        add("Blood pressure before discharge", "", NOT_DISCHARGED)
    for field, label in (
        ("concomitant_benzodiazepine", "Concomitant benzodiazepines"),
        ("concomitant_non_benzodiazepine_hypnotic", "Concomitant non-benzodiazepine hypnotics"),
        ("concomitant_psychostimulant", "Concomitant psychostimulants"),
        ("concomitant_maoi", "Concomitant MAOIs"),
    ):
        add(
            label,
            ("Yes" if getattr(record, field) else "No") if record.concomitant_confirmed else "",
        )
    if scores:
        lowest = min(s.moaas for s in scores)
        highest = max(s.cadss6_total for s in scores)
        sedated = "Yes" if any(s.is_sedated for s in scores) else "No"
        dissociated = "Yes" if highest > 0 else "No"
        add("Sedation (MOAA/S ≤ 3)", f"{sedated} · lowest MOAA/S {lowest}")
        add("Dissociation", f"{dissociated} · highest CADSS-6 {highest}")
    else:
        add("Sedation (MOAA/S ≤ 3)", "")
        add("Dissociation", "")
    serious = [e for e in record.adverse_events.all() if e.counts_as_serious]
    if serious:
        add(
            "Serious adverse events",
            "; ".join(f"{e.description} ({e.action_taken})" for e in serious),
        )
    elif record.status == DosingStatus.DISCHARGED:
        add("Serious adverse events", "None")
    else:
        add("Serious adverse events", "")
    return fields


@transaction.atomic
def dosing_abandon(*, record: DosingRecord, reason: str, by: User) -> DosingRecord:
    """No dose today (e.g. a no-go not overridden): the appointment is cancelled with the reason."""
    _require_prescriber(by, "end a session without dosing")
    if not record.can_become(DosingStatus.ABANDONED):
        raise InvalidTransitionError("Only a session not yet started can end without dosing.")
    from sessions.services import appointment_cancel

    record.status = DosingStatus.ABANDONED
    record.summary = reason.strip()
    record.save(update_fields=["status", "summary"])
    appointment_cancel(appointment=record.appointment, reason=f"Not dosed: {reason}", by=by)
    _audit(record, by, "not dosed")
    return record
