"""The patient chart's registries: sections, timeline providers and header badges.

The chart (``/patients/<uuid>/``) is assembled from what the apps register in their
AppConfig.ready(), like the landing panels and the digest sections, so this module imports no app
and later features (billing, REMS, telehealth) add a section without the chart importing them.

A section is its own page under ``/patients/<uuid>/chart/<key>/``: the chart view checks the
section's roles (and its optional ``allowed`` test), audits the read, and renders the section's
template below the chart header with the context the section returns. Every provider receives the
patient (the intake app's model, typed ``Any`` here) and the user, and must keep a fixed number of
queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role

# Staff roles, and the clinical ones: a section open to front desk shows no clinical content.
ALL_STAFF = frozenset({Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN})
CLINICIANS = frozenset({Role.THERAPIST, Role.PRESCRIBER})

SectionContext = Callable[[Any, Any, User], dict[str, Any]]


@dataclass(frozen=True)
class ChartSection:
    """One page of the chart. ``context(request, patient, user)`` returns the template's context."""

    key: str
    title: str
    roles: frozenset[Role]
    template: str
    context: SectionContext
    order: int = 100
    # A further test beyond the role (e.g. "has written psychotherapy notes"); None: role only.
    allowed: Callable[[Any, User], bool] | None = None

    def is_open_to(self, patient: Any, user: User) -> bool:
        if user.role not in self.roles:
            return False
        return self.allowed is None or self.allowed(patient, user)


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened in a patient's record, for the chart's overview."""

    at: datetime
    kind: str  # a stable key, e.g. "intake.submitted"
    title: str  # in clinic words
    url: str = ""
    detail: str = ""
    # What the event is about (e.g. the row's UUID): two reports of one event share it.
    ref: str = ""


@dataclass(frozen=True)
class TimelineProvider:
    key: str
    roles: frozenset[Role]
    events: Callable[[Any, User], list[TimelineEvent]]


@dataclass(frozen=True)
class Badge:
    """An alert in the chart header: a short label, a Bootstrap colour and where it leads."""

    label: str
    tone: str = "warning"
    url: str = ""
    detail: str = ""


@dataclass(frozen=True)
class BadgeProvider:
    key: str
    roles: frozenset[Role]
    badges: Callable[[Any, User], list[Badge]]


@dataclass
class _Registry:
    sections: dict[str, ChartSection] = field(default_factory=dict)
    timeline: dict[str, TimelineProvider] = field(default_factory=dict)
    badges: dict[str, BadgeProvider] = field(default_factory=dict)


_registry = _Registry()


def chart_section_register(
    key: str,
    title: str,
    roles: frozenset[Role],
    template: str,
    context: SectionContext,
    order: int = 100,
    allowed: Callable[[Any, User], bool] | None = None,
) -> None:
    _registry.sections[key] = ChartSection(
        key=key,
        title=title,
        roles=roles,
        template=template,
        context=context,
        order=order,
        allowed=allowed,
    )


def chart_section_unregister(key: str) -> None:
    _registry.sections.pop(key, None)


def chart_section(key: str) -> ChartSection | None:
    return _registry.sections.get(key)


def chart_sections_for(*, patient: Any, user: User) -> list[ChartSection]:
    """The sections ``user`` may open on this patient's chart, in order."""
    return [
        section
        for section in sorted(_registry.sections.values(), key=lambda item: (item.order, item.key))
        if section.is_open_to(patient, user)
    ]


def chart_timeline_register(
    key: str, roles: frozenset[Role], events: Callable[[Any, User], list[TimelineEvent]]
) -> None:
    _registry.timeline[key] = TimelineProvider(key=key, roles=roles, events=events)


def chart_timeline(*, patient: Any, user: User) -> list[TimelineEvent]:
    """Every event ``user`` may see, newest first; an event reported twice is listed once."""
    seen: set[tuple[str, str, str, datetime]] = set()
    events: list[TimelineEvent] = []
    for provider in sorted(_registry.timeline.values(), key=lambda item: item.key):
        if user.role not in provider.roles:
            continue
        for event in provider.events(patient, user):
            identity = (event.kind, event.ref or event.url, event.title, event.at)
            if identity in seen:
                continue
            seen.add(identity)
            events.append(event)
    return sorted(events, key=lambda event: event.at, reverse=True)


def chart_badge_register(
    key: str, roles: frozenset[Role], badges: Callable[[Any, User], list[Badge]]
) -> None:
    _registry.badges[key] = BadgeProvider(key=key, roles=roles, badges=badges)


def chart_badges(*, patient: Any, user: User) -> list[Badge]:
    return [
        badge
        for provider in sorted(_registry.badges.values(), key=lambda item: item.key)
        if user.role in provider.roles
        for badge in provider.badges(patient, user)
    ]


# --- links from an appointment to what higher apps keep about it (its note) ----------------------


@dataclass(frozen=True)
class Link:
    """A one-click link; ``post`` links are buttons that create what they open (a note draft)."""

    label: str
    url: str
    post: bool = False


AppointmentLinks = Callable[[Sequence[Any], User], dict[int, list[Link]]]
_appointment_links: dict[str, AppointmentLinks] = {}


def appointment_links_register(key: str, provider: AppointmentLinks) -> None:
    """``provider(appointments, user)`` returns links by appointment pk, in a fixed number of
    queries for any number of appointments."""
    _appointment_links[key] = provider


def appointment_links(*, appointments: Sequence[Any], user: User) -> dict[int, list[Link]]:
    links: dict[int, list[Link]] = {}
    for key in sorted(_appointment_links):
        for pk, found in _appointment_links[key](appointments, user).items():
            links.setdefault(pk, []).extend(found)
    return links


# --- the patient's status, derived from the record -----------------------------------------------

StatusAnnotator = Callable[[QuerySet[Any]], QuerySet[Any]]
_status_annotator: list[StatusAnnotator] = []


def patient_status_register(annotator: StatusAnnotator) -> None:
    """The one function that derives each patient's status (registered by the sessions app,
    which sees courses and doses): it annotates a patient queryset with ``lifecycle``."""
    _status_annotator[:] = [annotator]


def patients_with_status(patients: QuerySet[Any]) -> QuerySet[Any]:
    """``patients`` annotated with ``lifecycle``: used by landing counts, lists, the chart header
    and the outcomes page alike. Without a registered annotator, the stored intake status."""
    if _status_annotator:
        return _status_annotator[0](patients)
    return patients.annotate(lifecycle=F("status"))
