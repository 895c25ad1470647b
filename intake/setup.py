"""The intake's part of the set-up area: the intake policy page."""

from __future__ import annotations

from kap_clinic.clinic.registry import SetupSection, setup_section_register


def register() -> None:
    setup_section_register(
        SetupSection(
            key="intake.policy",
            title="Intake policy",
            description="Screening thresholds and actions where CLINICAL.md leaves the choice to "
            "the clinic, and how long invitation links last.",
            url_name="intake:clinic_policy_edit",
            order=60,
        )
    )
