"""Supervision tells the lower layers who supervises a clinician on a date (they never import
integration): intake asks it for a trainee's clearance co-signer, billing for the provider a
trainee's session is billed under."""

from __future__ import annotations

from datetime import date

from kap_clinic.accounts.models import User


def _clearance_supervisor(clinician: User, on: date) -> int | None:
    from integration.supervision.services import relationship_in_force

    relationship = relationship_in_force(supervisee=clinician, on=on)
    return relationship.supervisor_id if relationship is not None else None


def _billing_supervisor(clinician: User, on: date) -> User | None:
    from integration.supervision.services import supervisor_in_force

    return supervisor_in_force(clinician=clinician, on=on)


def register() -> None:
    from intake.services import clearance_supervisor_register
    from kap_clinic.clinic.registry import SetupSection, setup_section_register
    from sessions.billing.registry import supervising_clinician_register

    clearance_supervisor_register(_clearance_supervisor)
    supervising_clinician_register("integration.supervision", _billing_supervisor)
    setup_section_register(
        SetupSection(
            key="integration.supervision",
            title="Supervision",
            description="Who supervises whom, how their notes are reviewed, and for which dates.",
            url_name="integration:supervision_relationships",
            order=85,
        )
    )
