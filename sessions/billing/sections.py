"""Billing's set-up sections (code catalogue, default charges, sliding scale)."""

from __future__ import annotations

from kap_clinic.clinic.registry import SetupSection, setup_section_register


def register() -> None:
    setup_section_register(
        SetupSection(
            key="sessions.billing_codes",
            title="Billing codes and fees",
            description="CPT and HCPCS codes with fees and time rules, modifiers, places of "
            "service and the ICD-10-CM diagnoses courses are billed with.",
            url_name="sessions:billing:code_list",
            order=60,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.billing_defaults",
            title="Default charges",
            description="The code each kind of appointment is billed with, by protocol.",
            url_name="sessions:billing:fee_default_list",
            order=61,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.sliding_scale",
            title="Sliding scale",
            description="Discount tiers by household income and size, or by percentage.",
            url_name="sessions:billing:tier_list",
            order=62,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.billing_policy",
            title="Billing policy",
            description="The amount a bill may exceed a Good Faith Estimate before the patient "
            "can dispute it (No Surprises Act).",
            url_name="sessions:billing:billing_policy_edit",
            order=63,
        )
    )
