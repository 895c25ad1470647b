"""Landing panels of the integration app."""

from __future__ import annotations

from typing import Any

from intake.instruments import INSTRUMENTS
from integration.measures import measure_link
from integration.selectors import measures_open_for, notes_to_sign
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


def _measures_open(request: AuthenticatedRequest) -> dict[str, Any]:
    return {
        "measures": [
            (measure, INSTRUMENTS[measure.instrument_key].name, measure_link(measure))
            for measure in measures_open_for(user=request.user)[:SHOWN]
        ]
    }


panel_register(
    Panel(
        key="integration.measures_open",
        title="Questionnaires to answer",
        template="integration/panels/measures_open.html",
        roles=frozenset({Role.PATIENT}),
        context=_measures_open,
        order=20,
    )
)
