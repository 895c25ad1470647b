"""Outcome measures of a course: the schedule, the single-use links, answers and safety alerts.

Instruments, scoring and bands come from intake/instruments.py; the PHQ-9 item 9 and C-SSRS
safety rules and the alert path (Alert rows, urgent messages to the care team) are intake's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from intake.instruments import (
    CSSRS_SCREENER,
    GAD7,
    INSTRUMENTS,
    MADRS,
    PCL5,
    PHQ9,
    PHQ9_SUICIDE_ITEM,
)
from intake.messaging import patient_recipient
from intake.models import (
    ClinicPolicy,
    Finding,
    InstrumentResponse,
    IntakeForm,
    IntakeStatus,
)
from intake.screening import Context, cssrs_risk, phq9_item9
from intake.services import safety_alerts_raise
from integration.models import MeasureEntry, MeasureOccasion, MeasureRequest
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.services import message_request, messages_cancel
from sessions.models import AppointmentKind, AppointmentStatus, Course

MEASURE_SALT = "integration.measure"
MEASURE_TEMPLATE = "integration.measure_due"
REMINDER_TEMPLATE = "integration.measure_reminder"
# Issue #6: one reminder two days after a measure is due.
REMINDER_AFTER = timedelta(days=2)
# Clinic practice (like the invitation link): a measure link stays valid for 7 days.
LINK_LIFETIME = timedelta(days=7)
# Issue #6: measures before each dosing session are due the day before.
BEFORE_DOSE = timedelta(days=1)
# Issue #6: 1 and 3 months after the course (a month counted as 30 days).
MONTH = timedelta(days=30)
WEEK = timedelta(days=7)
DEFAULT_INSTRUMENTS = (PHQ9.key, GAD7.key)


@dataclass(frozen=True)
class Due:
    instrument_key: str
    occasion: str
    due_at: datetime


def _local_morning(day: Any, zone: str) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(zone))


def baseline_pcl5_positive(course: Course) -> bool:
    """The last PCL-5 before the course started at or above the clinic's cut-point (policy)."""
    start = _local_morning(course.start_date, course.location.time_zone)
    latest = (
        InstrumentResponse.objects.filter(
            patient_id=course.patient_id, instrument_key=PCL5.key, recorded_at__lt=start
        )
        .order_by("-recorded_at")
        .first()
    )
    # CLINICAL.md: the PCL-5 cut-point is policy (intake's ClinicPolicy.pcl5_cut_point).
    return latest is not None and (latest.total or 0) >= ClinicPolicy.get().pcl5_cut_point


def _protocol_schedule(
    course: Course, lines: list[tuple[str, str]], *, start: datetime, end: datetime
) -> list[Due]:
    """The dues of a protocol's own schedule (issue 12): each line an instrument and occasion."""
    held = [
        appointment
        for appointment in course.appointments.all()
        if appointment.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    ]
    doses = sorted(a.starts_at for a in held if a.kind == AppointmentKind.DOSING)
    integrations = sorted(a.starts_at for a in held if a.kind == AppointmentKind.INTEGRATION)
    dues: list[Due] = []
    for key, occasion in lines:
        if occasion == MeasureOccasion.BEFORE_DOSE:
            dues.extend(Due(key, occasion, dose - BEFORE_DOSE) for dose in doses)
        elif occasion == MeasureOccasion.BEFORE_INTEGRATION:
            dues.extend(Due(key, occasion, session - BEFORE_DOSE) for session in integrations)
        elif occasion == MeasureOccasion.WEEKLY:
            weekly = start + WEEK
            while weekly <= end:
                dues.append(Due(key, occasion, weekly))
                weekly += WEEK
        elif occasion in FOLLOW_UPS:
            dues.append(Due(key, occasion, end + FOLLOW_UPS[occasion] * MONTH))
        elif occasion == MeasureOccasion.ONCE:
            dues.append(Due(key, occasion, start - timedelta(days=2)))
    return dues


# Fixed follow-ups after the course's last session (issue 12: 1, 3 and 6 months).
FOLLOW_UPS: dict[str, int] = {
    MeasureOccasion.MONTH_1: 1,
    MeasureOccasion.MONTH_3: 3,
    MeasureOccasion.MONTH_6: 6,
}


def measure_schedule(course: Course) -> list[Due]:
    """Every measure the course calls for: its protocol's schedule, or the issue #6 defaults.

    PHQ-9 and GAD-7 at baseline (two days before the start), the day before each dosing
    session, weekly while the course runs, and 1 and 3 months after its last session; PCL-5
    monthly from the start to 3 months after when the baseline PCL-5 was positive.
    """
    zone = course.location.time_zone
    start = _local_morning(course.start_date, zone)
    appointments = [
        appointment
        for appointment in course.appointments.all()
        if appointment.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    ]
    doses = sorted(a.starts_at for a in appointments if a.kind == AppointmentKind.DOSING)
    end = max([a.ends_at for a in appointments] + [start])
    lines = [
        (line.instrument_key, line.occasion) for line in course.protocol.measure_schedules.all()
    ]
    dues: list[Due] = []
    if lines:
        # A baseline of each instrument before the course: the outcome needs one (issue 12).
        dues.extend(
            Due(key, MeasureOccasion.BASELINE, start - timedelta(days=2))
            for key in sorted({key for key, _ in lines})
            if (key, MeasureOccasion.ONCE) not in lines
        )
        dues.extend(_protocol_schedule(course, lines, start=start, end=end))
    for key in DEFAULT_INSTRUMENTS if not lines else ():
        dues.append(Due(key, MeasureOccasion.BASELINE, start - timedelta(days=2)))
        dues.extend(Due(key, MeasureOccasion.BEFORE_DOSE, dose - BEFORE_DOSE) for dose in doses)
        weekly = start + WEEK
        while weekly <= end:
            dues.append(Due(key, MeasureOccasion.WEEKLY, weekly))
            weekly += WEEK
        dues.append(Due(key, MeasureOccasion.MONTH_1, end + MONTH))
        dues.append(Due(key, MeasureOccasion.MONTH_3, end + 3 * MONTH))
    if baseline_pcl5_positive(course):
        monthly = start + MONTH
        while monthly <= end + 3 * MONTH:
            dues.append(Due(PCL5.key, MeasureOccasion.MONTHLY, monthly))
            monthly += MONTH
    return sorted(dues, key=lambda due: (due.due_at, due.instrument_key))


def measure_token(measure: MeasureRequest) -> str:
    """The signed token of the emailed link; single use and expiry are checked on the row."""
    return signing.Signer(salt=MEASURE_SALT).sign(str(measure.uuid))


def measure_link(measure: MeasureRequest) -> str:
    path = reverse("integration:measure_answer", kwargs={"token": measure_token(measure)})
    return f"{settings.SITE_URL}{path}"


def _subject_key(measure: MeasureRequest) -> str:
    return f"measure:{measure.uuid}"


def _request_messages(measure: MeasureRequest) -> None:
    recipient = patient_recipient(measure.patient)
    for template_key, send_at in (
        (MEASURE_TEMPLATE, measure.due_at),
        (REMINDER_TEMPLATE, measure.due_at + REMINDER_AFTER),
    ):
        message_request(
            recipient=recipient,
            template_key=template_key,
            idempotency_key=f"{template_key}:{measure.uuid}",
            refs={"measure": str(measure.uuid)},
            subject_key=_subject_key(measure),
            send_at=send_at,
        )


def _measure_create(*, course: Course, due: Due) -> MeasureRequest:
    measure, created = MeasureRequest.objects.get_or_create(
        course=course,
        instrument_key=due.instrument_key,
        occasion=due.occasion,
        due_at=due.due_at,
        defaults={"patient_id": course.patient_id, "expires_at": due.due_at + LINK_LIFETIME},
    )
    # A clinician-rated scale is filled by a clinician in session: nothing is sent.
    if created and not INSTRUMENTS[measure.instrument_key].clinician_rated:
        _request_messages(measure)
    return measure


@transaction.atomic
def measures_plan(*, course: Course) -> list[MeasureRequest]:
    """Creates the course's measure requests (safe to run again after appointments move).

    Requests no longer in the schedule that are unanswered and not yet due are removed, with
    their queued messages.
    """
    course = Course.objects.select_related("patient", "location", "protocol").get(pk=course.pk)
    schedule = measure_schedule(course)
    wanted = {(d.instrument_key, d.occasion, d.due_at) for d in schedule}
    stale = MeasureRequest.objects.filter(
        course=course, answered_at__isnull=True, due_at__gt=timezone.now()
    ).exclude(occasion=MeasureOccasion.FOLLOW_UP)
    for measure in stale:
        if (measure.instrument_key, measure.occasion, measure.due_at) not in wanted:
            messages_cancel(subject_key=_subject_key(measure))
            measure.delete()
    return [_measure_create(course=course, due=due) for due in schedule]


def measure_from_token(token: str, *, user: Any) -> MeasureRequest:
    """The open measure behind a link; ValidationError for a bad, used or expired link."""
    try:
        measure_uuid = signing.Signer(salt=MEASURE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise ValidationError("This link is not valid.") from error
    measure = (
        MeasureRequest.objects.select_related("patient", "course").filter(uuid=measure_uuid).first()
    )
    if measure is None or measure.patient.user_id != getattr(user, "pk", None):
        raise ValidationError("This link is not valid.")
    if measure.answered_at is not None:
        raise ValidationError("This questionnaire has been answered already. Thank you.")
    if measure.expires_at <= timezone.now():
        raise ValidationError(
            "This link has expired. Your care team will send the next questionnaire when it is due."
        )
    return measure


def _latest_intake(measure: MeasureRequest) -> IntakeForm | None:
    return (
        IntakeForm.objects.filter(patient_id=measure.patient_id)
        .exclude(status=IntakeStatus.DRAFT)
        .order_by("-id")
        .first()
    )


def _safety(measure: MeasureRequest, answers: Mapping[str, int]) -> None:
    """Intake's safety rules and alert path, for answers given outside an intake.

    An Alert hangs on a Finding, and a Finding on an intake: the finding is recorded on the
    patient's latest submitted intake with a code naming this measure.
    """
    key = measure.instrument_key
    if key not in (PHQ9.key, CSSRS_SCREENER.key):
        return
    instrument = INSTRUMENTS[key]
    policy = ClinicPolicy.get()
    ctx = Context(
        answers={key: dict(answers)}, scores={key: instrument.score(answers)}, policy=policy
    )
    specs = phq9_item9(ctx) if key == PHQ9.key else cssrs_risk(ctx)
    specs = [spec for spec in specs if spec.is_safety]
    if not specs:
        return
    if key == PHQ9.key and answers.get(PHQ9_SUICIDE_ITEM):
        # CLINICAL.md: PHQ-9 item 9 > 0 -> suicide-risk follow-up (C-SSRS).
        now = timezone.now()
        followup, created = MeasureRequest.objects.get_or_create(
            course=measure.course,
            instrument_key=CSSRS_SCREENER.key,
            occasion=MeasureOccasion.FOLLOW_UP,
            due_at=now,
            defaults={"patient_id": measure.patient_id, "expires_at": now + LINK_LIFETIME},
        )
        if created:
            _request_messages(followup)
    intake = _latest_intake(measure)
    if intake is None:
        return
    findings = [
        Finding.objects.create(
            intake=intake,
            severity=spec.severity,
            code=f"{spec.code}:{measure.uuid}"[:60],
            message=f"Outcome measure: {spec.message}"[:300],
            evidence=spec.evidence,
            is_safety=True,
        )
        for spec in specs
    ]
    safety_alerts_raise(intake, findings)


@transaction.atomic
def measure_answer(*, token: str, answers: Mapping[str, object], by: Any) -> InstrumentResponse:
    """Scores and stores the answers once; out-of-range answers raise and change nothing."""
    measure = measure_from_token(token, user=by)
    measure = MeasureRequest.objects.select_for_update().get(pk=measure.pk)
    if measure.answered_at is not None:
        raise ValidationError("This questionnaire has been answered already. Thank you.")
    instrument = INSTRUMENTS[measure.instrument_key]
    if instrument.clinician_rated:
        raise ValidationError(
            f"{instrument.name} is rated by a clinician: your care team fills it in with you."
        )
    response, cleaned = _response_create(measure.patient_id, instrument.key, answers)
    _measure_close(measure, response)
    _safety(measure, cleaned)
    return response


def _response_create(
    patient_id: int, instrument_key: str, answers: Mapping[str, object]
) -> tuple[InstrumentResponse, dict[str, int]]:
    """Scores and stores answers; out-of-range answers raise ValidationError first."""
    instrument = INSTRUMENTS[instrument_key]
    cut = ClinicPolicy.get().pcl5_cut_point if instrument.key == PCL5.key else None
    cleaned = instrument.clean(answers)
    score = instrument.score(cleaned, cut_point=cut)
    response = InstrumentResponse.objects.create(
        patient_id=patient_id,
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        answers=cleaned,
        total=score.total,
        band=score.band.key,
        band_label=score.band.label,
        recorded_at=timezone.now(),
    )
    return response, cleaned


def _measure_close(measure: MeasureRequest, response: InstrumentResponse) -> None:
    measure.answered_at = response.recorded_at
    measure.response = response
    measure.save(update_fields=["answered_at", "response"])
    messages_cancel(subject_key=_subject_key(measure))


# Measures a clinician may enter for a course (the trend instruments and the MADRS).
ENTERABLE = (PHQ9.key, GAD7.key, PCL5.key, MADRS.key)


@transaction.atomic
def measure_enter(
    *,
    course: Course,
    instrument_key: str,
    answers: Mapping[str, object],
    by: Any,
    measure: MeasureRequest | None = None,
) -> InstrumentResponse:
    """A clinician records a measure in session: a clinician-rated scale (MADRS), or the
    patient's own answers on their behalf (recorded as such). Closes ``measure`` when given.

    The caller has checked that ``by`` is a clinician who may see the course's patient.
    Out-of-range answers raise ValidationError and save nothing.
    """
    if instrument_key not in ENTERABLE:
        raise ValidationError("Choose a measure to enter.")
    if measure is not None:
        measure = MeasureRequest.objects.select_for_update().get(pk=measure.pk)
        if measure.course_id != course.pk or measure.instrument_key != instrument_key:
            raise ValidationError("That questionnaire belongs to another course or measure.")
        if measure.answered_at is not None:
            raise ValidationError("This questionnaire has been answered already.")
    instrument = INSTRUMENTS[instrument_key]
    response, cleaned = _response_create(course.patient_id, instrument_key, answers)
    entry = MeasureEntry.objects.create(
        response=response,
        course=course,
        measure_request=measure,
        entered_by=by,
        on_behalf_of_patient=not instrument.clinician_rated,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=response,
        detail=(
            f"{instrument.name} entered on the patient's behalf"
            if entry.on_behalf_of_patient
            else f"{instrument.name} rated by the clinician"
        ),
    )
    if measure is not None:
        _measure_close(measure, response)
        _safety(measure, cleaned)
    elif instrument_key == PHQ9.key:
        _safety(
            MeasureRequest(
                course=course,
                patient_id=course.patient_id,
                instrument_key=instrument_key,
                occasion=MeasureOccasion.FOLLOW_UP,
            ),
            cleaned,
        )
    return response


# --- what the messages say ------------------------------------------------------------------------


def _measure_context(message: Message) -> dict[str, Any] | None:
    measure = (
        MeasureRequest.objects.select_related("patient")
        .filter(uuid=message.refs.get("measure"))
        .first()
    )
    # Answered or expired: nothing to ask (or remind) any more.
    if measure is None or measure.answered_at is not None or measure.expires_at <= timezone.now():
        return None
    return {
        "first_name": measure.patient.preferred_name or measure.patient.legal_first_name,
        "clinic_name": settings.CLINIC_NAME,
        "instrument_name": INSTRUMENTS[measure.instrument_key].name,
        "link": measure_link(measure),
        "expires_at": measure.expires_at,
    }


def register_content() -> None:
    context_builder_register(MEASURE_TEMPLATE, _measure_context)
    context_builder_register(REMINDER_TEMPLATE, _measure_context)
