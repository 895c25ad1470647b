"""A patient's whole record as FHIR resources ($everything), from every registered source.

Psychotherapy notes are in no source, so they are in no copy (45 CFR 164.524(a)(1)(i)).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.interop.registry import Resource, fhir_resource_types, fhir_sources
from kap_clinic.interop.views import may_see_clinical

# Resources a patient's resources point at, included so the copy reads on its own.
_REFERENCED_TYPES = ("Practitioner", "Location", "Organization")


def patient_resources(*, user: User, patient_id: str) -> Iterator[Resource]:
    """Every resource of the patient ``user`` may see (none when the patient is not visible)."""
    clinical = may_see_clinical(user)
    patients = [
        s.to_resource(row)
        for s in fhir_sources("Patient")
        for row in s.by_id(s.rows(user), patient_id)[:1]
    ]
    if not patients:
        return
    yield from patients
    references: set[str] = set()
    for resource_type in fhir_resource_types():
        if resource_type in ("Patient", *_REFERENCED_TYPES):
            continue
        for source in fhir_sources(resource_type):
            search = source.search.get("patient")
            if search is None or (source.clinical and not clinical):
                continue
            for row in search(source.rows(user), patient_id).iterator(chunk_size=500):
                resource = source.to_resource(row)
                _collect_references(resource, references)
                yield resource
    for resource_type in _REFERENCED_TYPES:
        wanted = sorted(r.split("/", 1)[1] for r in references if r.startswith(resource_type + "/"))
        for source in fhir_sources(resource_type):
            for fhir_id in wanted:
                for row in source.by_id(source.rows(user), fhir_id)[:1]:
                    yield source.to_resource(row)


def _collect_references(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str) and reference.startswith(_REFERENCED_TYPES):
            found.add(reference)
        for item in value.values():
            _collect_references(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_references(item, found)


def patient_bundle(*, user: User, patient_id: str, base: str) -> dict[str, Any] | None:
    """A ``collection`` Bundle of the patient's record, or None when not visible."""
    entries = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
        for r in patient_resources(user=user, patient_id=patient_id)
    ]
    if not entries:
        return None
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }


def bundle_json(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, indent=1, ensure_ascii=False).encode("utf-8")
