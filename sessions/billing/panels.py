"""The landing panel of billing staff: the way to the billing report."""

from __future__ import annotations

from typing import Any

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role
from sessions.billing.access import is_billing_staff


def _billing(request: AuthenticatedRequest) -> dict[str, Any]:
    return {"allowed": is_billing_staff(request.user)}


def register() -> None:
    panel_register(
        Panel(
            key="sessions.billing",
            title="Billing",
            template="kap_sessions/panels/billing.html",
            roles=frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN}),
            context=_billing,
            order=40,
        )
    )
