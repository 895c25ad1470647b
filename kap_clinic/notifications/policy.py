"""Quiet hours: non-urgent messages wait until morning in the recipient's own time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def quiet_hours() -> tuple[time, time]:
    """(start, end) in the recipient's zone; clinic policy, 21:00-08:00 by default."""
    return settings.QUIET_HOURS_START, settings.QUIET_HOURS_END


def outside_quiet_hours(moment: datetime, *, time_zone: str) -> datetime:
    """``moment`` itself, or the end of the quiet hours it falls in (an aware datetime)."""
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    start, end = quiet_hours()
    clock = local.time()
    in_quiet = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not in_quiet:
        return moment
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    # Built from the wall-clock time so a daylight-saving change overnight is respected.
    return datetime.combine(day, end, tzinfo=zone)
