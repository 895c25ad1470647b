"""What the dosing page shows of monitoring: header, alerts, vitals chart, exposure, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.safestring import mark_safe

from kap_clinic.accounts.models import User
from sessions import dosing
from sessions.models import DosingPolicy, DosingRecord, DosingStatus
from sessions.monitoring.chart import vitals_chart_svg
from sessions.monitoring.forms import (
    AdverseEventReportForm,
    AlertAcknowledgeForm,
    QuickVitalsForm,
)
from sessions.monitoring.models import RoomEmergencyCheck
from sessions.monitoring.selectors import adverse_events_of, alerts_of, patient_exposure
from sessions.monitoring.services import room_local_day


def dosing_header_context(*, record: DosingRecord, now: datetime) -> dict[str, Any]:
    """The sticky header and the alerts: refreshed every 15 seconds and after each reading."""
    in_progress = record.status == DosingStatus.IN_PROGRESS
    alerts = alerts_of(record)
    policy = DosingPolicy.current()
    dosed = dosing.dosed_at(record)
    return {
        "alerts": alerts,
        "open_alerts": [alert for alert in alerts if alert.is_open],
        "acknowledge_form": AlertAcknowledgeForm(),
        "dosed_at": dosed,
        "minutes_since_dose": dosing.monitoring_minutes(record, now=now) if dosed else None,
        # After discharge nothing is "due" or "overdue" any more.
        "next_due": dosing.vitals_next_due(record, now=now) if in_progress else None,
        "in_progress": in_progress,
        "escalation_minutes": policy.vitals_overdue_escalation_minutes,
        "policy": policy,
        "now": now,
    }


def vitals_panel_context(
    *, record: DosingRecord, zone: ZoneInfo, now: datetime, form: QuickVitalsForm | None = None
) -> dict[str, Any]:
    entries = list(record.vitals.all())
    readiness = dosing.readiness_for(record.appointment)
    alerting = {alert.vitals_id for alert in alerts_of(record)}
    return {
        "vitals_entries": [(entry, entry.id in alerting) for entry in entries],
        "vitals_chart": mark_safe(  # noqa: S308  (vitals_chart_svg escapes every text)
            vitals_chart_svg(
                entries,
                dosed_at=dosing.dosed_at(record),
                baseline_systolic=readiness.baseline_systolic,
                policy=DosingPolicy.current(),
                time_zone=str(zone),
            )
        ),
        "quick_vitals_form": form or QuickVitalsForm(),
        "schedule": dosing.vitals_schedule(record, now=now),
    }


def dosing_page_context(
    *, user: User, record: DosingRecord, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """Everything monitoring adds to the dosing page (the bound forms of a failed post win)."""
    appointment = record.appointment
    room = appointment.room
    room_check = (
        None
        if room.is_virtual
        else RoomEmergencyCheck.objects.filter(room=room, day=room_local_day(room, now)).first()
    )
    local_now = now.astimezone(zone).replace(second=0, microsecond=0)
    return {
        **dosing_header_context(record=record, now=now),
        **vitals_panel_context(record=record, zone=zone, now=now),
        "exposure": (
            patient_exposure(appointment.patient, now=now, course=record.course)
            if user.has_perm("kap_sessions.view_dose")
            else None
        ),
        "room_check": room_check,
        "room_needs_check": not room.is_virtual
        and (room_check is None or not room_check.is_complete),
        "adverse_events": adverse_events_of(record),
        "adverse_event_report_form": AdverseEventReportForm(initial={"occurred_at": local_now}),
    }
