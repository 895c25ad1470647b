"""Template helpers of the set-up area: a red "expired" label wherever a clinician is shown."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def credential_state(expires_on: date, today: date, warning_days: int) -> SafeString:
    """A badge for one credential: expired (red), expiring within the warning window (amber)."""
    if expires_on < today:
        return SafeString('<span class="badge text-bg-danger">Expired</span>')
    if (expires_on - today).days <= warning_days:
        return SafeString('<span class="badge text-bg-warning">Expires soon</span>')
    return SafeString("")


@register.simple_tag
def clinician_expired_badge(expired: bool) -> SafeString:
    if expired:
        return SafeString('<span class="badge text-bg-danger">Credential expired</span>')
    return SafeString("")
