"""Which audit rows concern which patient, and how to name their objects (a registry).

Audit rows name an object (``object_type``, ``object_id``), not its patient. Each domain app
registers its patient records from its AppConfig.ready() (intake's helper builds the entry from a
model and its path to the patient), so the audit review can filter by patient and show names
without importing the apps above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class PatientRecordType:
    label: str  # the audit's object_type (app_label.model)
    name: str  # in clinic words: "Intake", "Course"
    # The object ids (as text) of one patient's records of this type: a subquery.
    ids_for_patient: Callable[[str], QuerySet[Any]]
    # For object ids of this type: each one's patient (uuid, "Last, First"), in one query.
    patients_of: Callable[[list[str]], dict[str, tuple[str, str]]]


_types: dict[str, PatientRecordType] = {}


def patient_record_type_register(record_type: PatientRecordType) -> None:
    _types[record_type.label] = record_type


def patient_record_types() -> dict[str, PatientRecordType]:
    return dict(_types)


def patient_events_q(patient_uuid: str) -> Q:
    """Audit rows about any record of one patient (one SQL query with subqueries)."""
    q = Q()
    for record_type in _types.values():
        q |= Q(
            object_type=record_type.label,
            object_id__in=record_type.ids_for_patient(patient_uuid),
        )
    return q if _types else Q(pk__in=[])


@dataclass(frozen=True)
class ObjectLabel:
    record: str  # "Course"
    patient_uuid: str
    patient_name: str


def object_labels(events: Iterable[Any]) -> dict[tuple[str, str], ObjectLabel]:
    """Names for the objects of a page of audit rows: one query per record type on the page."""
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event.object_type in _types and event.object_id:
            ids_by_type[event.object_type].append(event.object_id)
    labels: dict[tuple[str, str], ObjectLabel] = {}
    for label, ids in ids_by_type.items():
        record_type = _types[label]
        for object_id, (patient_uuid, name) in record_type.patients_of(ids).items():
            labels[(label, object_id)] = ObjectLabel(record_type.name, patient_uuid, name)
    return labels
