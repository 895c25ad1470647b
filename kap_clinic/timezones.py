"""Time zones: stored in UTC, shown in the clinic's zone; patients have their own for reminders."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings


def clinic_time_zone() -> str:
    """The clinic's zone (setting TIME_ZONE): the default for new patients and locations."""
    return str(settings.TIME_ZONE)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]
