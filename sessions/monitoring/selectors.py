"""Reads of dosing-day monitoring: open alerts, exposure, rooms' checklists, serious events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch

from intake.models import Patient
from sessions.models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    DosingPolicy,
    DosingRecord,
    Drug,
    Location,
    Room,
)
from sessions.monitoring.models import AdverseEventFollowUp, RoomEmergencyCheck, VitalsAlert


def alerts_open_by_record(record_ids: Iterable[int]) -> dict[int, list[VitalsAlert]]:
    """The open alerts of several dosing records, in one query."""
    alerts: dict[int, list[VitalsAlert]] = defaultdict(list)
    for alert in VitalsAlert.objects.filter(
        dosing_record_id__in=list(record_ids), acknowledged_at__isnull=True
    ).select_related("vitals"):
        alerts[alert.dosing_record_id].append(alert)
    return alerts


def alerts_of(record: DosingRecord) -> list[VitalsAlert]:
    """Every alert of the session, newest first, with who acknowledged it."""
    return list(
        VitalsAlert.objects.filter(dosing_record=record)
        .select_related("vitals", "acknowledged_by")
        .order_by("-raised_at", "-id")
    )


def adverse_events_of(record: DosingRecord) -> list[AdverseEvent]:
    return list(
        AdverseEvent.objects.filter(dosing_record=record)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=AdverseEventFollowUp.objects.select_related("done_by"),
            )
        )
    )


def serious_adverse_events(record: DosingRecord) -> list[AdverseEvent]:
    """What the REMS form's serious-adverse-event field reports."""
    return [event for event in record.adverse_events.all() if event.counts_as_serious]


# ------------------------------------------------------------------------------------------------
# Exposure


@dataclass
class Exposure:
    """Medicine given to one patient, in mg per drug (ketamine and esketamine never summed)."""

    this_course: dict[str, Decimal] = field(default_factory=dict)
    all_courses: dict[str, Decimal] = field(default_factory=dict)
    last_90_days: dict[str, Decimal] = field(default_factory=dict)
    sessions_this_course: int = 0
    sessions_last_7_days: int = 0
    sessions_last_90_days: int = 0
    warnings: list[str] = field(default_factory=list)


def _add(totals: dict[str, Decimal], drug: str, mg: Decimal) -> None:
    label = str(Drug(drug).label) if drug in Drug.values else drug
    totals[label] = totals.get(label, Decimal("0")) + mg


def patient_exposure(patient: Patient, *, now: datetime, course: Course | None = None) -> Exposure:
    """Cumulative dose per course, across courses and over the last 90 days, and the dosing
    sessions in the last 7 and 90 days against the clinic's frequency limits (one query for the
    doses, one for the policy)."""
    exposure = Exposure()
    week_ago, quarter_ago = now - timedelta(days=7), now - timedelta(days=90)
    sessions_course, sessions_week, sessions_quarter = set(), set(), set()
    doses = DoseAdministration.objects.filter(
        dosing_record__appointment__patient=patient
    ).values_list(
        "drug", "dose_mg", "started_at", "dosing_record_id", "dosing_record__appointment__course_id"
    )
    for drug, mg, started_at, record_id, course_id in doses:
        _add(exposure.all_courses, drug, mg)
        if course is not None and course_id == course.id:
            _add(exposure.this_course, drug, mg)
            sessions_course.add(record_id)
        if started_at > quarter_ago:
            _add(exposure.last_90_days, drug, mg)
            sessions_quarter.add(record_id)
        if started_at > week_ago:
            sessions_week.add(record_id)
    exposure.sessions_this_course = len(sessions_course)
    exposure.sessions_last_7_days = len(sessions_week)
    exposure.sessions_last_90_days = len(sessions_quarter)
    policy = DosingPolicy.current()
    # Frequency limits are clinic policy (DosingPolicy, CLINICAL.md dosing schedules): warn only.
    if exposure.sessions_last_7_days > policy.dosing_sessions_per_7_days_maximum:
        exposure.warnings.append(
            f"{exposure.sessions_last_7_days} dosing sessions in the last 7 days: more than the "
            f"clinic's limit of {policy.dosing_sessions_per_7_days_maximum}."
        )
    if exposure.sessions_last_90_days > policy.dosing_sessions_per_90_days_maximum:
        exposure.warnings.append(
            f"{exposure.sessions_last_90_days} dosing sessions in the last 90 days: more than the "
            f"clinic's limit of {policy.dosing_sessions_per_90_days_maximum}."
        )
    return exposure


# ------------------------------------------------------------------------------------------------
# Rooms


@dataclass(frozen=True)
class RoomReadiness:
    room: Room
    check: RoomEmergencyCheck | None

    @property
    def is_ready(self) -> bool:
        return self.room.is_virtual or (self.check is not None and self.check.is_complete)


def rooms_readiness(location: Location, day: date) -> list[RoomReadiness]:
    """Each active room of the location and its emergency checklist of ``day`` (two queries)."""
    checks = {
        check.room_id: check
        for check in RoomEmergencyCheck.objects.filter(
            room__location=location, day=day
        ).select_related("checked_by")
    }
    return [
        RoomReadiness(room=room, check=checks.get(room.id))
        for room in Room.objects.filter(location=location, is_active=True).order_by("name")
        if not room.is_virtual
    ]
