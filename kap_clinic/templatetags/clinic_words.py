"""Clinic words for things the code names by key (issue #10: no raw template keys on pages)."""

from __future__ import annotations

from django import template

from kap_clinic.notifications.chart import template_label

register = template.Library()


@register.filter
def message_label(template_key: str) -> str:
    """ "sessions.dosing_reminder_24h" -> "Dosing reminder 24h"."""
    return template_label(str(template_key))


@register.filter
def instrument_name(key: str) -> str:
    """ "phq9" -> "PHQ-9", from the instruments' own names (registered by the intake app)."""
    from django.apps import apps

    names = getattr(apps.get_app_config("intake"), "instrument_names", {})
    return str(names.get(str(key), str(key).upper()))
