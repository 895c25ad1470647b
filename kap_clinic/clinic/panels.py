"""Landing panels of the set-up: the crisis line on the patient's portal."""

from __future__ import annotations

from typing import Any

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role


def _crisis(request: AuthenticatedRequest) -> dict[str, Any]:
    return {}


panel_register(
    Panel(
        key="clinic.crisis_line",
        title="If you feel unsafe",
        template="clinic/panels/crisis_line.html",
        roles=frozenset({Role.PATIENT}),
        context=_crisis,
        order=200,
    )
)
