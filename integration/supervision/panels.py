"""The supervisor's landing panel: how many notes and clearances wait for them, oldest first."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Window

from integration.supervision.models import SupervisionRelationship
from integration.supervision.selectors import clearances_awaiting_cosignature, supervisor_queue
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role

SHOWN = 5


def _queue(request: AuthenticatedRequest) -> dict[str, Any]:
    # One query: the window count rides along with the first rows.
    notes = list(supervisor_queue(user=request.user).annotate(total=Window(Count("id")))[:SHOWN])
    clearances = clearances_awaiting_cosignature(user=request.user)
    supervised = SupervisionRelationship.objects.filter(supervisee=request.user).exists()
    return {
        "supervised": supervised,
        "notes": notes,
        "count": notes[0].total if notes else 0,
        "clearances": clearances[:SHOWN],
        "clearance_count": len(clearances),
    }


panel_register(
    Panel(
        key="integration.supervision_queue",
        title="Supervision queue",
        template="integration/supervision/panel_queue.html",
        roles=frozenset({Role.THERAPIST, Role.PRESCRIBER}),
        context=_queue,
        order=16,
    )
)
