"""The set-up area's index and the first-run wizard's steps, contributed by the apps.

kap_clinic.clinic owns the organisation and staff; intake, sessions and integration register
their own set-up pages (intake policy, locations, protocols, note templates...) from their
AppConfig.ready(), so this package never imports them (dependencies flow one way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SetupSection:
    key: str
    title: str
    description: str
    url_name: str
    order: int = 100


@dataclass(frozen=True)
class WizardStep:
    """One step of the first-run wizard; ``is_done`` tells whether the step has been completed."""

    key: str
    title: str
    url_name: str
    is_done: Callable[[], bool]
    order: int = 100


_sections: dict[str, SetupSection] = {}
_steps: dict[str, WizardStep] = {}


def setup_section_register(section: SetupSection) -> None:
    _sections[section.key] = section


def setup_sections() -> list[SetupSection]:
    return sorted(_sections.values(), key=lambda item: (item.order, item.key))


def wizard_step_register(step: WizardStep) -> None:
    _steps[step.key] = step


def wizard_steps() -> list[WizardStep]:
    return sorted(_steps.values(), key=lambda item: (item.order, item.key))
