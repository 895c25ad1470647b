"""Landing panels of the accounts app: the people of the clinic, for clinic admins."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role


def _accounts_by_role(request: AuthenticatedRequest) -> dict[str, Any]:
    counts = dict(
        User.objects.filter(is_active=True).values_list("role").annotate(total=Count("id"))
    )
    return {"rows": [(role.label, counts.get(role.value, 0)) for role in Role]}


panel_register(
    Panel(
        key="accounts.by_role",
        title="Active accounts by role",
        template="accounts/panels/accounts_by_role.html",
        roles=frozenset({Role.CLINIC_ADMIN}),
        context=_accounts_by_role,
        order=10,
    )
)
