"""The integration app's part of the patient chart: notes, measures, reflections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from intake.audit_names import patient_describer
from intake.instruments import INSTRUMENTS
from intake.models import InstrumentResponse
from integration.models import MeasureRequest, Note, NoteKind, PsychotherapyNote, Reflection
from integration.selectors import notes_visible_to
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.describe import audit_describer_register
from kap_clinic.chart import (
    CLINICIANS,
    Badge,
    Link,
    TimelineEvent,
    appointment_links_register,
    chart_badge_register,
    chart_section_register,
    chart_timeline_register,
)
from sessions.models import AppointmentStatus

THERAPISTS = frozenset({Role.THERAPIST})


def instrument_name(key: str) -> str:
    instrument = INSTRUMENTS.get(key)
    return instrument.name if instrument else key.upper()


def _notes(patient: Any, user: User) -> list[Note]:
    return list(
        notes_visible_to(user=user)
        .filter(patient=patient)
        .select_related("appointment__location")
        .order_by("-appointment__starts_at", "-created_at")
    )


def _notes_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    return {
        "notes": _notes(patient, user),
        # Psychotherapy notes are listed for their author only: the link leads to one's own.
        "psychotherapy_notes_link": user.role == Role.THERAPIST,
    }


def _measures_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    responses = list(
        InstrumentResponse.objects.filter(patient=patient)
        .select_related("measure_request")
        .order_by("-recorded_at")
    )
    for response in responses:
        response.instrument_name = instrument_name(response.instrument_key)  # type: ignore[attr-defined]
    open_requests = list(
        MeasureRequest.objects.filter(patient=patient, answered_at__isnull=True).order_by("due_at")
    )
    for measure in open_requests:
        measure.instrument_name = instrument_name(measure.instrument_key)  # type: ignore[attr-defined]
    return {"responses": responses, "open_requests": open_requests}


def _reflections_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    return {
        "reflections": list(
            Reflection.objects.filter(patient=patient, shared_with_therapist=True).select_related(
                "prompt"
            )
        )
    }


def _clinical_events(patient: Any, user: User) -> list[TimelineEvent]:
    events = [
        TimelineEvent(
            at=note.signed_at,
            kind="integration.note_signed",
            title=f"{note.get_kind_display()} note signed",
            detail=f"by {note.author.full_name}",
            url=reverse("integration:note_detail", args=[note.uuid]),
            ref=str(note.uuid),
        )
        for note in _notes(patient, user)
        if note.signed_at is not None
    ]
    trends = reverse("integration:patient_trends", args=[patient.uuid])
    answered = MeasureRequest.objects.filter(
        patient=patient, answered_at__isnull=False
    ).select_related("response")
    for measure in answered:
        score = f": {measure.response.total}" if measure.response else ""
        events.append(
            TimelineEvent(
                at=measure.answered_at,  # type: ignore[arg-type]
                kind="integration.measure_answered",
                title=f"{instrument_name(measure.instrument_key)} answered{score}",
                detail=measure.get_occasion_display(),
                url=trends,
                ref=str(measure.uuid),
            )
        )
    return events


def _unsigned_badges(patient: Any, user: User) -> list[Badge]:
    drafts = Note.objects.filter(patient=patient, signed_at__isnull=True).count()
    if not drafts:
        return []
    label = "Unsigned note" if drafts == 1 else f"{drafts} unsigned notes"
    return [
        Badge(
            label=label,
            tone="info",
            url=reverse("intake:chart_section", args=[patient.uuid, "notes"]),
        )
    ]


def register() -> None:
    for model, path, what in [
        (Note, "patient", "Progress note"),
        (PsychotherapyNote, "patient", "Psychotherapy note"),
        (Reflection, "patient", "Reflection"),
        (MeasureRequest, "patient", "Measure"),
    ]:
        audit_describer_register(model._meta.label_lower, patient_describer(model, path, what))
    chart_section_register(
        key="notes",
        title="Notes",
        roles=CLINICIANS,
        template="integration/chart/notes.html",
        context=_notes_section,
        order=50,
    )
    chart_section_register(
        key="measures",
        title="Measures and trends",
        roles=CLINICIANS,
        template="integration/chart/measures.html",
        context=_measures_section,
        order=60,
    )
    chart_section_register(
        key="reflections",
        title="Reflections",
        roles=THERAPISTS,
        template="integration/chart/reflections.html",
        context=_reflections_section,
        order=70,
    )
    chart_timeline_register("integration.clinical", CLINICIANS, _clinical_events)
    chart_badge_register("integration.unsigned_notes", CLINICIANS, _unsigned_badges)
    appointment_links_register("integration.notes", _note_links)


def _note_links(appointments: Sequence[Any], user: User) -> dict[int, list[Link]]:
    """The clinician's own note of each session: open it, or start it from the kind's template."""
    if user.role not in CLINICIANS:
        return {}
    writable = [
        appointment
        for appointment in appointments
        if appointment.kind in NoteKind.values and appointment.status != AppointmentStatus.CANCELLED
    ]
    notes = {
        note.appointment_id: note
        for note in Note.objects.filter(appointment__in=writable, author=user)
    }
    links: dict[int, list[Link]] = {}
    for appointment in writable:
        note = notes.get(appointment.pk)
        if note is None:
            link = Link(
                label="Write the note",
                url=reverse("integration:appointment_note", args=[appointment.uuid]),
                post=True,
            )
        else:
            state = "draft" if not note.is_signed else note.status_label.lower()
            link = Link(
                label=f"Open my note ({state})",
                url=reverse("integration:note_detail", args=[note.uuid]),
            )
        links[appointment.pk] = [link]
    return links
