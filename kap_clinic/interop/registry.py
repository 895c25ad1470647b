"""The registry of FHIR resource sources that the domain apps fill from their ``ready()``.

A resource type (Observation) may have several sources (vital signs, body weight, PHQ-9 totals):
each source maps one queryset to resources of that type. The registry never imports the apps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

from kap_clinic.accounts.models import User

Resource = dict[str, Any]
SearchFilter = Callable[[QuerySet[Any], str], QuerySet[Any]]


@dataclass(frozen=True)
class FhirSource:
    """One model mapped to one FHIR resource type.

    ``rows(user)`` returns only the rows ``user`` may see, with what ``to_resource`` reads loaded
    (select_related/prefetch_related) so a page of any size costs a fixed number of queries.
    ``by_id(rows, id)`` narrows them to the one with that FHIR id (or none). ``search`` maps
    each supported search parameter to a filter taking one value (commas mean OR, as in FHIR).
    """

    resource_type: str
    key: str
    rows: Callable[[User], QuerySet[Any]]
    to_resource: Callable[[Any], Resource]
    by_id: Callable[[QuerySet[Any], str], QuerySet[Any]]
    search: Mapping[str, SearchFilter] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    # Clinical content: never for the front desk (DESIGN.md, Access and privacy).
    clinical: bool = True
    documentation: str = ""


_SOURCES: dict[str, dict[str, FhirSource]] = {}


def fhir_source_register(source: FhirSource) -> None:
    """Adds (or replaces, by key) a source; called from an app's ``ready()``."""
    _SOURCES.setdefault(source.resource_type, {})[source.key] = source


def fhir_sources(resource_type: str) -> list[FhirSource]:
    return list(_SOURCES.get(resource_type, {}).values())


def fhir_resource_types() -> list[str]:
    return sorted(_SOURCES)


def by_uuid(prefix: str = "") -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    """The ``by_id`` of a model whose FHIR id is ``prefix`` + its UUID."""

    def narrow(rows: QuerySet[Any], fhir_id: str) -> QuerySet[Any]:
        if not fhir_id.startswith(prefix):
            return rows.none()
        value = fhir_id[len(prefix) :]
        try:
            import uuid

            return rows.filter(uuid=uuid.UUID(value))
        except ValueError:
            return rows.none()

    return narrow


def reference(resource_type: str, obj: Model | None, *, prefix: str = "") -> dict[str, str]:
    """A relative reference to ``obj`` by its UUID (``{}`` when there is none)."""
    if obj is None:
        return {}
    return {"reference": f"{resource_type}/{prefix}{obj.uuid}"}  # type: ignore[attr-defined]
