"""Times as the clinic reads them: in the clinic's zone (or the one given), with the zone's
abbreviation, and with the date whenever the time is not today (issue #10)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

register = template.Library()


def _zone(zone: object) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    if zone:
        try:
            return ZoneInfo(str(zone))
        except (KeyError, ValueError):
            pass
    return ZoneInfo(timezone.get_current_timezone_name())


@register.filter
def when(value: datetime | None, zone: object = None) -> str:
    """ "14:30 EST" today; "Tue 12 Dec 2026, 14:30 EST" on any other day; "" for no time."""
    if value is None or value == "":
        return ""
    tz = _zone(zone)
    local = value.astimezone(tz)
    clock = f"{local:%H:%M} {local.tzname()}"
    if local.date() == timezone.now().astimezone(tz).date():
        return clock
    return f"{local:%a} {local.day} {local:%b %Y}, {clock}"
