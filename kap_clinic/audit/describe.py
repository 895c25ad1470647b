"""Naming what an audit row is about: "Dosing record · Riley Chen (MRN 000002)", not a UUID.

The audit app imports no domain app: each app registers, per object type it audits, a function
that names a batch of its rows (one query per type, whatever the number of rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kap_clinic.audit.models import AuditEvent


@dataclass(frozen=True)
class Described:
    what: str
    patient: str = ""
    url: str = ""


Describer = Callable[[list[str]], dict[str, Described]]
_describers: dict[str, Describer] = {}


def audit_describer_register(object_type: str, describer: Describer) -> None:
    _describers[object_type] = describer


def audit_events_describe(events: Iterable[AuditEvent]) -> list[tuple[AuditEvent, Described]]:
    """Each event with what it is about, in clinic words."""
    events = list(events)
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.object_type in _describers and event.object_id:
            ids[event.object_type].add(event.object_id)
    found = {
        object_type: _describers[object_type](sorted(object_ids))
        for object_type, object_ids in ids.items()
    }
    described = []
    for event in events:
        fallback = Described(what=_type_label(event.object_type))
        described.append((event, found.get(event.object_type, {}).get(event.object_id, fallback)))
    return described


def _type_label(object_type: str) -> str:
    from django.apps import apps

    try:
        name = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = object_type.rsplit(".", 1)[-1].replace("_", " ")
    return name[:1].upper() + name[1:]
