"""Landing panels of the integration app."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from intake.instruments import INSTRUMENTS
from intake.panels import own_patient_record
from integration.deterioration import flags_for_clinician
from integration.measures import measure_link
from integration.models import Note
from integration.practices.selectors import todays_practices
from integration.progress import patient_progress
from integration.selectors import measures_open_for, notes_to_sign
from integration.supervision.models import ReviewState
from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.notifications.digest import DigestSection, digest_section_register
from kap_clinic.notifications.initials import initials

SHOWN = 10


def _returned(note: Note) -> bool:
    supervision = getattr(note, "supervision", None)
    return supervision is not None and supervision.state == ReviewState.RETURNED


def _notes_to_sign(request: AuthenticatedRequest) -> dict[str, Any]:
    # One query for both lists: the landing page keeps its query budget.
    notes = list(notes_to_sign(user=request.user)[: SHOWN * 3])
    returned = [note for note in notes if note.signed_at is None and _returned(note)]
    return {
        "returned": returned[:SHOWN],
        "overdue": [n for n in notes if n.signed_at is None and n not in returned][:SHOWN],
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


def _measures_flagged(request: AuthenticatedRequest) -> dict[str, Any]:
    # The flags load separately (htmx): the landing page keeps its query budget.
    return {}


panel_register(
    Panel(
        key="integration.measures_flagged",
        title="Measures to review",
        template="integration/panels/measures_flagged.html",
        roles=frozenset({Role.THERAPIST, Role.PRESCRIBER}),
        context=_measures_flagged,
        order=12,
    )
)


def _digest_flagged(user: User, day: date) -> list[str]:
    """Initials and the kind only: the digest is an email, the scores are on the landing page."""
    return [
        f"{initials(item.course.patient.legal_first_name, item.course.patient.legal_last_name)}: "
        + ", ".join(flag.label.lower() for flag in item.flags)
        + " on the PHQ-9"
        for item in flags_for_clinician(user)
    ]


def register_digest() -> None:
    digest_section_register(
        DigestSection(
            key="integration.measures_flagged",
            title="Measures to review",
            items=_digest_flagged,
            order=30,
        )
    )


def _todays_practices(request: AuthenticatedRequest) -> dict[str, Any]:
    return {"practices": todays_practices(request.user, today=timezone.localdate())}


panel_register(
    Panel(
        key="integration.todays_practice",
        title="Today's practice",
        template="integration/panels/todays_practice.html",
        roles=frozenset({Role.PATIENT}),
        context=_todays_practices,
        order=22,
    )
)


def _my_progress(request: AuthenticatedRequest) -> dict[str, Any]:
    patient = own_patient_record(request)
    if patient is None:
        return {"patient": None, "progress": []}
    return {"patient": patient, "progress": patient_progress(patient)}


panel_register(
    Panel(
        key="integration.my_progress",
        title="My progress",
        template="integration/panels/my_progress.html",
        roles=frozenset({Role.PATIENT}),
        context=_my_progress,
        order=25,
    )
)
