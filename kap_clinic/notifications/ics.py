"""RFC 5545 calendars for appointment emails (built with the icalendar library)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar
from django.conf import settings

from kap_clinic.notifications.content import CalendarEvent


def calendar_ics(event: CalendarEvent, *, now: datetime | None = None) -> str:
    return calendar_ics_events([event], now=now)


def calendar_method(events: Iterable[CalendarEvent]) -> str:
    """CANCEL when every event is withdrawn, else PUBLISH (no organizer or attendees)."""
    events = list(events)
    return "CANCEL" if events and all(event.cancelled for event in events) else "PUBLISH"


def calendar_ics_events(events: Iterable[CalendarEvent], *, now: datetime | None = None) -> str:
    """One calendar holding every event; a UID stays the same for the life of an appointment and
    SEQUENCE rises with each change, so calendar programs update rather than duplicate."""
    events = list(events)
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC_NAME}//KAP clinic platform//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", calendar_method(events))
    stamp = (now or datetime.now(tz=UTC)).astimezone(UTC)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("uid", f"{event.uid}@{domain or 'localhost'}")
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", event.start.astimezone(UTC))
        vevent.add("dtend", event.end.astimezone(UTC))
        vevent.add("summary", event.summary)
        vevent.add("sequence", event.sequence)
        vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        if event.location:
            vevent.add("location", event.location)
        if event.description:
            vevent.add("description", event.description)
        calendar.add_component(vevent)
    return calendar.to_ical().decode()
