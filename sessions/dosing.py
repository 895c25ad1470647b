"""Writes of the dosing day: readiness and go/no-go, doses, monitoring and discharge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    DoseAdministration,
    DoseRule,
    DosingPolicy,
    DosingRecord,
    DosingStatus,
    Observation,
    OtherMedication,
    PregnancyAttestation,
    Protocol,
    Readiness,
    SedationDissociationEntry,
    Severity,
    VitalsEntry,
)
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


@transaction.atomic
def dosing_record_open(*, appointment: Appointment) -> DosingRecord:
    """The dosing record of a checked-in dosing appointment (and its readiness checklist)."""
    Readiness.objects.get_or_create(appointment=appointment)
    record, _ = DosingRecord.objects.get_or_create(appointment=appointment)
    return record


def readiness_for(appointment: Appointment) -> Readiness:
    readiness, _ = Readiness.objects.get_or_create(appointment=appointment)
    return readiness


@transaction.atomic
def readiness_patient_submit(*, readiness: Readiness, by: User, **answers: Any) -> Readiness:
    """The patient's part, online before the session; editable until staff have checked in."""
    if readiness.appointment.patient.user_id != by.id:
        raise ValidationError("Only the patient fills their part of the readiness checklist.")
    if readiness.staff_part_done:
        raise ValidationError("The clinic has already checked you in; tell staff about changes.")
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
    return readiness


@transaction.atomic
def readiness_staff_record(*, readiness: Readiness, by: User, **checks: Any) -> Readiness:
    """The staff part at check-in: identity, consent, escort, weight, baseline vitals, mood."""
    if by.role not in (Role.FRONT_DESK, Role.PRESCRIBER, Role.THERAPIST):
        raise ValidationError("Only clinic staff can check a patient in.")
    for name, value in checks.items():
        setattr(readiness, name, value)
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
                f"{name.replace('_', ' ').capitalize()} {value} is outside the physiological "
                f"range {bounds[0]}-{bounds[1]}; check the reading."
            )
    _clean_and_save(readiness)
    return readiness


def readiness_problems(readiness: Readiness, *, policy: DosingPolicy | None = None) -> list[str]:
    """Why dosing should not start (no-go), by the clinic's policy; empty means go."""
    policy = policy or DosingPolicy.current()
    problems = []
    if not readiness.patient_part_done:
        problems.append("The patient's part of the readiness checklist is missing.")
    elif not readiness.escort_name:
        problems.append("No escort is named.")
    if readiness.pregnancy_attestation == PregnancyAttestation.PREGNANT_OR_UNSURE:
        problems.append("The patient may be pregnant or breastfeeding.")
    for name, label in (
        ("identity_confirmed", "Identity not confirmed."),
        ("consent_current", "Consent not confirmed as current."),
        ("escort_confirmed", "Escort not confirmed."),
    ):
        if not getattr(readiness, name):
            problems.append(label)
    if readiness.baseline_systolic is None or readiness.baseline_diastolic is None:
        problems.append("Baseline blood pressure missing.")
    elif (
        # Pre-dose BP above the policy threshold, 140/90 by default (CLINICAL.md, label).
        readiness.baseline_systolic > policy.predose_systolic_maximum
        or readiness.baseline_diastolic > policy.predose_diastolic_maximum
    ):
        problems.append(
            f"Baseline blood pressure {readiness.baseline_systolic}/"
            f"{readiness.baseline_diastolic} is above {policy.predose_systolic_maximum}/"
            f"{policy.predose_diastolic_maximum}."
        )
    if readiness.baseline_heart_rate is None or readiness.baseline_spo2 is None:
        problems.append("Baseline heart rate or SpO2 missing.")
    if readiness.predose_phq9_total is None and not readiness.mood_check:
        problems.append("Pre-dose PHQ-9 or mood check missing.")
    course = readiness.appointment.course
    if (
        course is not None
        and course.protocol.dose_rule == DoseRule.MG_PER_KG
        and readiness.weight_kg is None
    ):
        problems.append("Today's weight is needed for a weight-based dose.")
    return problems


@transaction.atomic
def readiness_override(*, readiness: Readiness, reason: str, by: User) -> Readiness:
    _require_prescriber(by, "override a no-go")
    reason = reason.strip()
    if not reason:
        raise ValidationError("An override needs a reason.")
    readiness.override_by = by
    readiness.override_reason = reason[:500]
    readiness.override_at = timezone.now()
    readiness.save(update_fields=["override_by", "override_reason", "override_at"])
    return readiness


@transaction.atomic
def dosing_start(*, record: DosingRecord, by: User) -> DosingRecord:
    """Go: the session starts when readiness passes or a prescriber has overridden the no-go."""
    _require_prescriber(by, "start a dosing session")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    if not record.can_become(DosingStatus.IN_PROGRESS):
        raise InvalidTransitionError(
            f"A session that is {record.get_status_display().lower()} cannot start."
        )
    readiness = readiness_for(record.appointment)
    problems = readiness_problems(readiness)
    if problems and readiness.override_at is None:
        raise ValidationError(
            "No-go: " + " ".join(problems) + " A prescriber may override with a reason."
        )
    record.status = DosingStatus.IN_PROGRESS
    record.started_at = timezone.now()
    record.started_by = by
    record.save(update_fields=["status", "started_at", "started_by"])
    appointment = record.appointment
    if appointment.status == AppointmentStatus.CHECKED_IN:
        appointment.status = AppointmentStatus.IN_PROGRESS
        appointment.save(update_fields=["status"])
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
) -> DoseAdministration:
    """Records one administration (for esketamine: one device), refused outside the protocol."""
    _require_prescriber(by, "record a dose")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    _require_in_progress(record)
    protocol = _protocol(record)
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
        per_kg = _two_places(total / weight)
        too_low = not protocol.device_mg and per_kg < protocol.dose_minimum
        if per_kg > maximum or too_low:
            raise ValidationError(
                f"{total} mg is {per_kg} mg/kg at {weight} kg, outside {protocol.dose_minimum}-"
                f"{maximum} mg/kg under {protocol.name}."
            )
    else:
        too_low = not protocol.device_mg and total < protocol.dose_minimum
        if total > maximum or too_low:
            raise ValidationError(
                f"{total} mg this session is outside {protocol.dose_minimum}-"
                f"{maximum} mg under {protocol.name}."
            )
    return DoseAdministration.objects.create(
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
    return medication


@transaction.atomic
def other_medication_explained(*, medication: OtherMedication, by: User) -> OtherMedication:
    _require_clinician(by)
    medication.explained_to_patient_at = timezone.now()
    medication.save(update_fields=["explained_to_patient_at"])
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
    return entry


@transaction.atomic
def scores_record(
    *, record: DosingRecord, taken_at: datetime, moaas: int, cadss: dict[int, int], by: User
) -> SedationDissociationEntry:
    _require_clinician(by)
    _require_in_progress(record)
    entry = SedationDissociationEntry(
        dosing_record=record,
        taken_at=taken_at,
        moaas=moaas,
        recorded_by=by,
        **{f"cadss_item_{item}": score for item, score in cadss.items()},
    )
    _clean_and_save(entry)
    return entry


@transaction.atomic
def observation_record(
    *, record: DosingRecord, observed_at: datetime, text: str, by: User
) -> Observation:
    _require_clinician(by)
    _require_in_progress(record)
    if not text.strip():
        raise ValidationError("Write the observation.")
    return Observation.objects.create(
        dosing_record=record, observed_at=observed_at, text=text.strip(), recorded_by=by
    )


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
    event = AdverseEvent(
        dosing_record=record,
        occurred_at=occurred_at,
        description=description.strip(),
        severity=severity,
        action_taken=action_taken.strip(),
        recorded_by=by,
    )
    _clean_and_save(event)
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


def monitoring_minutes(record: DosingRecord, *, now: datetime | None = None) -> int:
    start = dosed_at(record)
    if start is None:
        return 0
    return int(((now or timezone.now()) - start).total_seconds() // 60)


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
) -> DosingRecord:
    """Discharges the patient when every criterion holds and the minimum monitoring time is met
    (esketamine: 120 minutes, CLINICAL.md); the summary goes to the chart."""
    _require_prescriber(by, "discharge a patient")
    record = DosingRecord.objects.select_for_update().get(id=record.id)
    if not record.can_become(DosingStatus.DISCHARGED):
        raise InvalidTransitionError(
            f"A session that is {record.get_status_display().lower()} cannot be discharged."
        )
    protocol = _protocol(record)
    now = timezone.now()
    if not record.doses.exists():
        raise ValidationError("No dose is recorded; end the session without discharge instead.")
    minutes = monitoring_minutes(record, now=now)
    if minutes < protocol.minimum_monitoring_minutes:
        raise ValidationError(
            f"Monitoring has run {minutes} minutes; {protocol.name} needs at least "
            f"{protocol.minimum_monitoring_minutes} before discharge."
        )
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
    if missing:
        raise ValidationError("Discharge criteria not met: " + ", ".join(missing) + ".")
    readiness = readiness_for(record.appointment)
    last = record.vitals.order_by("-taken_at").first()
    if last is None:
        raise ValidationError("Record vitals before discharge.")
    policy = DosingPolicy.current()
    if readiness.baseline_systolic is not None and (
        # "Vitals near baseline" (CLINICAL.md, Discharge); the margin is clinic policy.
        last.blood_pressure_systolic
        > readiness.baseline_systolic + policy.discharge_systolic_margin
    ):
        raise ValidationError(
            f"The last systolic BP {last.blood_pressure_systolic} is more than "
            f"{policy.discharge_systolic_margin} above baseline {readiness.baseline_systolic}."
        )
    unexplained = [
        m.medicine for m in record.other_medications.all() if not m.explained_to_patient_at
    ]
    if unexplained:
        raise ValidationError(
            "Explain to the patient the medicine given during the session before discharge: "
            + ", ".join(unexplained)
            + "."
        )
    first_dose = dosed_at(record)
    if first_dose is None or not first_dose <= ready_to_leave_at <= now:
        raise ValidationError("The ready-to-leave time must fall between the dose and now.")
    if not summary.strip():
        raise ValidationError("Write the session summary for the chart.")
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
    record.save()
    appointment = record.appointment
    if appointment.status == AppointmentStatus.IN_PROGRESS:
        appointment.status = AppointmentStatus.COMPLETED
        appointment.save(update_fields=["status"])
        from sessions.billing.services import charges_propose

        charges_propose(appointment=appointment, by=by)
    return record


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
    return record
