"""Landing panels of the integration app."""

from __future__ import annotations

from typing import Any

from integration.selectors import notes_to_sign
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role

SHOWN = 10


def _notes_to_sign(request: AuthenticatedRequest) -> dict[str, Any]:
    # One query for both lists: the landing page keeps its query budget.
    notes = list(notes_to_sign(user=request.user)[: SHOWN * 2])
    return {
        "overdue": [note for note in notes if note.signed_at is None][:SHOWN],
        "cosign": [note for note in notes if note.signed_at is not None][:SHOWN],
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
