"""Writes of dosing-day monitoring: vital-sign alerts, rooms' emergency checklists, adverse
events with their grade and follow-up. Each records its audit row in its own transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES, STAFF_ROLES
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import message_request
from sessions import dosing
from sessions.models import (
    AdverseEvent,
    AdverseEventGrade,
    AdverseEventOutcome,
    DosingPolicy,
    DosingRecord,
    Relatedness,
    Room,
    Severity,
    VitalsEntry,
)
from sessions.monitoring.models import AdverseEventFollowUp, RoomEmergencyCheck, VitalsAlert
from sessions.monitoring.thresholds import Reading, vitals_breaches

VITALS_ALERT_TEMPLATE = "sessions.vitals_alert"
SERIOUS_ADVERSE_EVENT_TEMPLATE = "sessions.serious_adverse_event"


def _require_clinician(user: User, what: str) -> None:
    if user.role not in CLINICIAN_ROLES:
        raise ValidationError(f"Only a clinician can {what}.")


def _responsible_prescribers(record: DosingRecord) -> list[User]:
    """The course's prescriber and, when someone else, the session's medical monitor."""
    people = [record.course.prescriber, record.appointment.medical_monitor]
    seen: set[int] = set()
    team = []
    for person in people:
        if person is not None and person.is_active and person.id not in seen:
            seen.add(person.id)
            team.append(person)
    return team


def _urgent_message(*, record: DosingRecord, template_key: str, about: str) -> None:
    """An urgent message to each responsible prescriber: ids only, the page behind sign-in."""
    for person in _responsible_prescribers(record):
        message_request(
            recipient=recipient_for_user(person),
            template_key=template_key,
            idempotency_key=f"{template_key}:{about}:{person.uuid}",
            refs={"record": str(record.uuid)},
            subject_key=f"dosing:{record.uuid}",
            essential=True,
            urgent=True,
        )


# ------------------------------------------------------------------------------------------------
# Vital-sign alerts


@transaction.atomic
def vitals_alerts_raise(*, entry: VitalsEntry, by: User) -> list[VitalsAlert]:
    """Raises an alert for each limit ``entry`` passes and messages the prescriber at once.

    Called by ``dosing.vitals_record`` in the transaction that saves the reading.
    """
    record = entry.dosing_record
    readiness = dosing.readiness_for(record.appointment)
    breaches = vitals_breaches(
        Reading(
            blood_pressure_systolic=entry.blood_pressure_systolic,
            blood_pressure_diastolic=entry.blood_pressure_diastolic,
            heart_rate=entry.heart_rate,
            spo2=entry.spo2,
            respiratory_rate=entry.respiratory_rate,
        ),
        baseline_systolic=readiness.baseline_systolic,
        baseline_diastolic=readiness.baseline_diastolic,
        policy=DosingPolicy.current(),
    )
    alerts = [
        VitalsAlert.objects.create(
            dosing_record=record, vitals=entry, kind=breach.kind, message=breach.message
        )
        for breach in breaches
    ]
    for alert in alerts:
        audit_record(action=AuditAction.CREATE, actor=by, obj=alert, detail="vitals alert raised")
    if alerts:
        _urgent_message(
            record=record, template_key=VITALS_ALERT_TEMPLATE, about=str(alerts[0].uuid)
        )
    return alerts


@transaction.atomic
def vitals_alert_acknowledge(*, alert: VitalsAlert, action_taken: str, by: User) -> VitalsAlert:
    """A clinician has seen the alert and says what was done; the alert then closes."""
    _require_clinician(by, "acknowledge a vital-sign alert")
    alert = VitalsAlert.objects.select_for_update().get(id=alert.id)
    if not alert.is_open:
        raise ValidationError("This alert was already acknowledged.")
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError({"action_taken": "Say what was done about the alert."})
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.action_taken = action_taken[:500]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=alert, detail="vitals alert acknowledged")
    return alert


@transaction.atomic
def vitals_reading_alerts_acknowledge(
    *, vitals: VitalsEntry, action_taken: str, by: User
) -> list[VitalsAlert]:
    """Acknowledges every open alert of one reading (one 185/112 raises four) with one action."""
    open_alerts = list(VitalsAlert.objects.filter(vitals=vitals, acknowledged_at__isnull=True))
    if not open_alerts:
        raise ValidationError("These alerts were already acknowledged.")
    return [
        vitals_alert_acknowledge(alert=alert, action_taken=action_taken, by=by)
        for alert in open_alerts
    ]


@transaction.atomic
def vitals_alerts_acknowledge_open(
    *, record: DosingRecord, action_taken: str, by: User
) -> list[VitalsAlert]:
    """Acknowledges every open alert of the session with one action (repeated high readings)."""
    open_alerts = list(
        VitalsAlert.objects.filter(dosing_record=record, acknowledged_at__isnull=True)
    )
    if not open_alerts:
        raise ValidationError("There is no open alert to acknowledge.")
    return [
        vitals_alert_acknowledge(alert=alert, action_taken=action_taken, by=by)
        for alert in open_alerts
    ]


# ------------------------------------------------------------------------------------------------
# Rooms' daily emergency checklist


def room_local_day(room: Room, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(room.location.time_zone)).date()


@transaction.atomic
def room_check_record(
    *,
    room: Room,
    day: date,
    by: User,
    pulse_oximeter: bool,
    blood_pressure_cuff: bool,
    oxygen: bool,
    suction: bool,
    aed: bool,
    rescue_medicines_present: list[str],
    notes: str = "",
) -> RoomEmergencyCheck:
    """Records (or re-records, the same day) the room's emergency checklist."""
    if by.role not in STAFF_ROLES:
        raise ValidationError("Only clinic staff can check a room.")
    if day != room_local_day(room, timezone.now()):
        raise ValidationError("The emergency checklist is recorded on the day, for that day.")
    required = DosingPolicy.current().rescue_medicines
    unknown = [name for name in rescue_medicines_present if name not in required]
    if unknown:
        raise ValidationError(f"Not on the clinic's rescue medicine list: {', '.join(unknown)}.")
    check, created = RoomEmergencyCheck.objects.select_for_update().get_or_create(
        room=room, day=day, defaults={"checked_by": by}
    )
    check.pulse_oximeter = pulse_oximeter
    check.blood_pressure_cuff = blood_pressure_cuff
    check.oxygen = oxygen
    check.suction = suction
    check.aed = aed
    check.rescue_medicines_required = required
    check.rescue_medicines_present = [name for name in required if name in rescue_medicines_present]
    check.notes = notes.strip()[:500]
    check.checked_by = by
    check.checked_at = timezone.now()
    check.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=check,
        detail="room emergency checklist",
    )
    return check


def room_ready_require(*, room: Room, at: datetime) -> None:
    """Refuses a dose in a room whose emergency checklist of that day is missing or incomplete.

    Called by ``dosing.dose_administer``. A telehealth room has no clinic equipment to check.
    """
    if room.is_virtual:
        return
    day = room_local_day(room, at)
    check = RoomEmergencyCheck.objects.filter(room=room, day=day).first()
    if check is None:
        raise ValidationError(
            f"{room.name} has no emergency checklist for {day:%d %b %Y}. Complete the room's "
            "emergency checklist before the first dose of the day."
        )
    if not check.is_complete:
        raise ValidationError(
            f"{room.name}'s emergency checklist for {day:%d %b %Y} is incomplete: "
            + ", ".join(check.missing)
            + ". Complete it before dosing."
        )


# ------------------------------------------------------------------------------------------------
# Adverse events


def _severity_for(grade: int, is_serious: bool) -> str:
    if is_serious:
        return Severity.SERIOUS
    return {1: Severity.MILD, 2: Severity.MODERATE}.get(grade, Severity.SEVERE)


@transaction.atomic
def adverse_event_report(
    *,
    record: DosingRecord,
    occurred_at: datetime,
    description: str,
    grade: int,
    relatedness: str,
    is_serious: bool,
    outcome: str,
    action_taken: str,
    by: User,
    follow_up: str = "",
    follow_up_due_on: date | None = None,
) -> AdverseEvent:
    """Records an adverse event with its CTCAE grade, relatedness, seriousness and outcome.

    Grades 4 (life-threatening) and 5 (death) are serious by definition. A serious event sends
    an urgent message to the responsible prescriber and is what the REMS form reports.
    """
    if grade not in AdverseEventGrade.values:
        raise ValidationError({"grade": "Choose a grade from 1 to 5."})
    if relatedness not in Relatedness.values:
        raise ValidationError({"relatedness": "Choose how related the event is to the medicine."})
    if outcome not in AdverseEventOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome."})
    is_serious = is_serious or grade >= AdverseEventGrade.LIFE_THREATENING
    event = dosing.adverse_event_record(
        record=record,
        occurred_at=occurred_at,
        description=description,
        severity=_severity_for(grade, is_serious),
        action_taken=action_taken,
        by=by,
    )
    event.grade = grade
    event.relatedness = relatedness
    event.is_serious = is_serious
    event.outcome = outcome
    event.save(update_fields=["grade", "relatedness", "is_serious", "outcome"])
    audit_record(action=AuditAction.CREATE, actor=by, obj=event, detail="adverse event")
    if follow_up.strip():
        adverse_event_follow_up_add(event=event, task=follow_up, due_on=follow_up_due_on, by=by)
    if is_serious:
        _urgent_message(
            record=record, template_key=SERIOUS_ADVERSE_EVENT_TEMPLATE, about=f"event-{event.id}"
        )
    return event


@transaction.atomic
def adverse_event_follow_up_add(
    *, event: AdverseEvent, task: str, due_on: date | None, by: User
) -> AdverseEventFollowUp:
    _require_clinician(by, "add a follow-up task")
    task = task.strip()
    if not task:
        raise ValidationError({"follow_up": "Describe the follow-up task."})
    follow_up = AdverseEventFollowUp.objects.create(
        adverse_event=event, task=task[:300], due_on=due_on, created_by=by
    )
    audit_record(
        action=AuditAction.CREATE, actor=by, obj=follow_up, detail="adverse event follow-up"
    )
    return follow_up


@transaction.atomic
def adverse_event_follow_up_done(
    *, follow_up: AdverseEventFollowUp, by: User
) -> AdverseEventFollowUp:
    _require_clinician(by, "close a follow-up task")
    follow_up = AdverseEventFollowUp.objects.select_for_update().get(id=follow_up.id)
    if follow_up.done_at is not None:
        raise ValidationError("This follow-up is already done.")
    follow_up.done_at = timezone.now()
    follow_up.done_by = by
    follow_up.save(update_fields=["done_at", "done_by"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=follow_up, detail="follow-up done")
    return follow_up


# ------------------------------------------------------------------------------------------------
# Message content (no clinical detail: the link leads to the dosing record behind sign-in)


def _dosing_message_context(message: Message) -> dict[str, Any] | None:
    record = DosingRecord.objects.filter(uuid=message.refs.get("record")).first()
    if record is None:
        return None
    path = reverse("sessions:dosing_record", kwargs={"record_uuid": record.uuid})
    return {"clinic_name": settings.CLINIC_NAME, "link": f"{settings.SITE_URL}{path}"}


def register() -> None:
    context_builder_register(VITALS_ALERT_TEMPLATE, _dosing_message_context)
    context_builder_register(SERIOUS_ADVERSE_EVENT_TEMPLATE, _dosing_message_context)
