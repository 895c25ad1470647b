"""Landing panel of the notifications app: a patient's newest inbox messages (staff reach the
inbox from the navigation, which keeps their landing pages within their query budgets)."""

from __future__ import annotations

from typing import Any

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.roles import Role
from kap_clinic.notifications.selectors import inbox_messages, inbox_unread_count

LATEST = 5


def _inbox(request: AuthenticatedRequest) -> dict[str, Any]:
    return {
        "unread": inbox_unread_count(user=request.user),
        "latest": inbox_messages(user=request.user)[:LATEST],
    }


panel_register(
    Panel(
        key="notifications.inbox",
        title="Messages",
        template="notifications/panels/inbox.html",
        roles=frozenset({Role.PATIENT}),
        context=_inbox,
        order=15,
    )
)
