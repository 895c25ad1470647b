"""What the live board shows of monitoring: open alerts, escalated overdue vitals, rooms."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sessions.models import DosingPolicy, Location
from sessions.monitoring.selectors import alerts_open_by_record, rooms_readiness


def board_monitoring_context(
    *, rows: list[dict[str, Any]], location: Location, now: datetime
) -> dict[str, Any]:
    """Adds each row's open alerts and overdue escalation (policy delay); lists rooms' checklists.

    ``rows`` are the live board's rows (``record``, ``next_due``); changed in place.
    """
    policy = DosingPolicy.current()
    delay = timedelta(minutes=policy.vitals_overdue_escalation_minutes)
    alerts = alerts_open_by_record(row["record"].id for row in rows)
    for row in rows:
        row["open_alerts"] = alerts.get(row["record"].id, [])
        due = row["next_due"]
        row["overdue_minutes"] = (
            int((now - due.due_at).total_seconds() // 60) if due and due.overdue else None
        )
        row["escalated"] = bool(due and due.overdue and now > due.due_at + delay)
    day = now.astimezone(ZoneInfo(location.time_zone)).date()
    return {
        "rooms_readiness": rooms_readiness(location, day),
        "escalation_minutes": policy.vitals_overdue_escalation_minutes,
    }
