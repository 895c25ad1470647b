"""``{{ moment|when }}``: the time alone when it is today in the active (clinic) zone, else the
date and time, so a vitals entry from another day never passes for today's."""

from __future__ import annotations

from datetime import datetime

from django import template

from sessions.dosing import local_when

register = template.Library()


@register.filter
def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    # The active zone is the template's ({% timezone %}) or the request's.
    return local_when(moment)
