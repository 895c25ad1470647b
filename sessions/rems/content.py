"""What the REMS reminder says: no patient data, the link leads to the form behind sign-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from sessions.rems.models import RemsForm
from sessions.rems.services import REMS_REMINDER_TEMPLATE


def _reminder_context(message: Message) -> dict[str, Any] | None:
    form = (
        RemsForm.objects.filter(uuid=message.refs.get("form"), submitted_at__isnull=True)
        .select_related("dosing_record")
        .first()
    )
    if form is None:  # submitted since, or gone: nothing to remind of
        return None
    path = reverse("sessions:rems_form", kwargs={"record_uuid": form.dosing_record.uuid})
    return {
        "clinic_name": settings.CLINIC_NAME,
        "day": message.refs.get("day", ""),
        "due_on": form.due_on,
        "link": f"{settings.SITE_URL}{path}",
    }


def register() -> None:
    context_builder_register(REMS_REMINDER_TEMPLATE, _reminder_context)
