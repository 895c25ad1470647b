from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from kap_clinic.accounts.access import permission_required
from kap_clinic.audit.forms import AuditFilterForm
from kap_clinic.audit.models import AuditAction, AuditEvent
from kap_clinic.audit.records import object_labels, patient_record_types
from kap_clinic.audit.selectors import audit_events_filtered
from kap_clinic.audit.services import audit_record
from kap_clinic.pagination import paginate

EXPORT_CHUNK = 2000


def audit_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Audit rows with their records named (the patient's name, the record in clinic words)."""
    events = list(events)
    labels = object_labels(events)
    types = patient_record_types()
    return [
        {
            "event": event,
            "label": labels.get((event.object_type, event.object_id)),
            # A record no longer found is named by its kind in clinic words, never a bare id.
            "kind": types[event.object_type].name
            if event.object_type in types
            else event.object_type.rsplit(".", 1)[-1].replace("_", " ").capitalize(),
        }
        for event in events
    ]


def _patient_name(patient_uuid: str) -> str:
    patient_type = patient_record_types().get("intake.patient")
    if not patient_uuid or patient_type is None:
        return ""
    found = patient_type.patients_of([patient_uuid]).get(patient_uuid)
    return found[1] if found else ""


@permission_required("audit.view_auditevent")
def event_list(request: HttpRequest) -> HttpResponse:
    """The audit review: filter by patient, user, action, record and dates; export as CSV."""
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    filters = form.filters() if request.GET and valid else {}
    events = audit_events_filtered(**filters) if valid else AuditEvent.objects.none()
    context = paginate(request, events)
    context["page"].object_list = audit_rows(context["page"].object_list)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "patient_name": _patient_name(filters.get("patient_uuid", "")),
            "export_query": request.GET.urlencode(),
            **context,
        },
        status=200 if valid else 400,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(events: Iterator[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    zone = ZoneInfo(settings.TIME_ZONE)
    yield writer.writerow(
        ["When", "Who", "Role", "Action", "Record", "Patient", "Record type", "Record id", "From"]
    )
    chunk: list[AuditEvent] = []
    for event in events:
        chunk.append(event)
        if len(chunk) == EXPORT_CHUNK:
            yield from _csv_chunk(writer, chunk, zone)
            chunk = []
    yield from _csv_chunk(writer, chunk, zone)


def _csv_chunk(writer: Any, chunk: list[AuditEvent], zone: ZoneInfo) -> Iterator[str]:
    for row in audit_rows(chunk):
        event, label = row["event"], row["label"]
        actor = event.actor
        yield writer.writerow(
            [
                event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
                actor.full_name if actor else "",
                actor.get_role_display() if actor else "",
                event.get_action_display(),
                label.record if label else "",
                label.patient_name if label else "",
                event.object_type,
                event.object_id,
                event.ip_address or "",
            ]
        )


@permission_required("audit.view_auditevent")
def event_export(request: HttpRequest) -> HttpResponse:
    """The filtered audit rows as CSV; the export is itself audited."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Check the filters.", status=400, content_type="text/plain")
    filters = form.filters()
    # Ids and choices only: a name typed into the user filter stays out of the audit row.
    described = ", ".join(
        key if key == "user" else f"{key}={value}" for key, value in filters.items() if value
    )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        object_type="audit.auditevent",
        detail=f"audit export ({described or 'all'})"[:300],
    )
    events = audit_events_filtered(**filters).iterator(chunk_size=EXPORT_CHUNK)
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-export.csv"'
    return response  # type: ignore[return-value]  # streamed: the export may be long
