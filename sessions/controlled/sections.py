"""The ledger's set-up sections (safes, products, count policy)."""

from __future__ import annotations

from kap_clinic.clinic.registry import SetupSection, setup_section_register


def register() -> None:
    setup_section_register(
        SetupSection(
            key="sessions.controlled",
            title="Controlled-substance ledger",
            description="Stock, counts, discrepancies to resolve, ledgers and the dispensing log.",
            url_name="sessions:ledger:index",
            order=69,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.controlled_safes",
            title="Controlled-substance safes",
            description="The locked storage places of each location.",
            url_name="sessions:ledger:safe_list",
            order=70,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.controlled_products",
            title="Controlled-substance products",
            description="Ketamine and esketamine products: NDC, strength, form and counting unit.",
            url_name="sessions:ledger:product_list",
            order=71,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.controlled_policy",
            title="Controlled-substance counts",
            description="Daily counts and how often a full inventory is taken.",
            url_name="sessions:ledger:policy_edit",
            order=72,
        )
    )
