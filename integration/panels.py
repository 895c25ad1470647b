"""Landing panels of the integration app."""

from __future__ import annotations

from typing import Any

from integration.selectors import notes_awaiting_cosignature, notes_unsigned_overdue
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role

SHOWN = 10


def _notes_to_sign(request: AuthenticatedRequest) -> dict[str, Any]:
    return {
        "overdue": list(notes_unsigned_overdue(user=request.user)[:SHOWN]),
        "cosign": list(notes_awaiting_cosignature(user=request.user)[:SHOWN]),
    }


panel_register(
    Panel(
        key="integration.notes_to_sign",
        title="Notes to sign",
        template="integration/panels/notes_to_sign.html",
        roles=frozenset({Role.THERAPIST, Role.PRESCRIBER}),
        context=_notes_to_sign,
        order=15,
    )
)
