"""Landing-page panels, contributed by the apps.

The landing page of each role is assembled from panels that apps register in their
AppConfig.ready(), so kap_clinic.accounts never imports the domain apps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.roles import Role


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    roles: frozenset[Role]
    context: Callable[[AuthenticatedRequest], dict[str, Any]]
    order: int = 100


_panels: dict[str, Panel] = {}


def panel_register(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(
    request: AuthenticatedRequest, *, role: Role
) -> Iterable[tuple[Panel, dict[str, Any]]]:
    for panel in sorted(_panels.values(), key=lambda item: (item.order, item.key)):
        if role in panel.roles:
            yield panel, panel.context(request)
