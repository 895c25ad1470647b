"""The sessions app's part of the patient chart: courses and appointments, dosing records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from intake.audit_names import patient_describer
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.describe import audit_describer_register
from kap_clinic.chart import (
    ALL_STAFF,
    CLINICIANS,
    Badge,
    TimelineEvent,
    chart_badge_register,
    chart_section_register,
    chart_timeline_register,
)
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    Course,
    DoseAdministration,
    DosingRecord,
    Readiness,
)


def _courses(patient: Any) -> list[Course]:
    return list(Course.objects.filter(patient=patient).select_related("protocol", "location"))


def _appointments(patient: Any) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient=patient)
        .select_related("location", "room", "therapist", "medical_monitor")
        .order_by("-starts_at", "-id")
    )


def _dosing_records(patient: Any) -> list[DosingRecord]:
    return list(
        DosingRecord.objects.filter(appointment__patient=patient)
        .select_related("appointment__location", "appointment__course__protocol")
        .order_by("-appointment__starts_at")
    )


# A cancellation this close to the session counts as late (clinic policy default, issue 13).
LATE_CANCEL_HOURS = 48


@dataclass(frozen=True)
class Attendance:
    due: int
    no_shows: int
    late_cancellations: int

    @staticmethod
    def percent(part: int, whole: int) -> int:
        return round(100 * part / whole) if whole else 0

    @property
    def no_show_percent(self) -> int:
        return self.percent(self.no_shows, self.due)

    @property
    def late_cancellation_percent(self) -> int:
        return self.percent(self.late_cancellations, self.due)


def attendance(appointments: list[Appointment], *, now: datetime | None = None) -> Attendance:
    """No-show and late-cancellation counts over the sessions due so far: those whose time has
    come, and those cancelled late; an early cancellation is not counted at all."""
    now = now or timezone.now()
    late = timedelta(hours=LATE_CANCEL_HOURS)
    due = no_shows = late_cancellations = 0
    for appointment in appointments:
        if appointment.status == AppointmentStatus.CANCELLED:
            cancelled_at = appointment.cancelled_at
            if cancelled_at is not None and cancelled_at > appointment.starts_at - late:
                due += 1
                late_cancellations += 1
        elif appointment.starts_at <= now:
            due += 1
            no_shows += appointment.status == AppointmentStatus.NO_SHOW
    return Attendance(due=due, no_shows=no_shows, late_cancellations=late_cancellations)


def _sessions_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    appointments = _appointments(patient)
    return {
        "courses": _courses(patient),
        "appointments": appointments,
        "attendance": attendance(appointments),
        "can_book": user.has_perm("kap_sessions.add_appointment"),
        "can_plan": user.has_perm("kap_sessions.add_course"),
    }


def _dosing_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    return {"records": _dosing_records(patient)}


def _schedule_events(patient: Any, user: User) -> list[TimelineEvent]:
    events = [
        TimelineEvent(
            at=course.created_at,
            kind="sessions.course",
            title=f"Course planned: {course.protocol.name}",
            url=reverse("sessions:course_detail", args=[course.uuid]),
            ref=str(course.uuid),
        )
        for course in _courses(patient)
    ]
    for appointment in _appointments(patient):
        outcome = (
            "booked"
            if appointment.status == AppointmentStatus.BOOKED
            else appointment.get_status_display().lower()
        )
        events.append(
            TimelineEvent(
                at=appointment.starts_at,
                kind="sessions.appointment",
                title=f"{appointment.get_kind_display()} session: {outcome}",
                url=reverse("sessions:appointment_detail", args=[appointment.uuid]),
                detail=appointment.location.name,
                ref=str(appointment.uuid),
            )
        )
    return events


def _dose_events(patient: Any, user: User) -> list[TimelineEvent]:
    doses = DoseAdministration.objects.filter(
        dosing_record__appointment__patient=patient
    ).select_related("dosing_record")
    return [
        TimelineEvent(
            at=dose.started_at,
            kind="sessions.dose",
            title=f"Dose given: {dose.dose_mg} mg {dose.get_drug_display()}, "
            f"{dose.get_route_display().lower()}",
            url=reverse("sessions:dosing_record", args=[dose.dosing_record.uuid]),
            ref=str(dose.uuid),
        )
        for dose in doses
    ]


def _adverse_event_badges(patient: Any, user: User) -> list[Badge]:
    events = list(
        AdverseEvent.objects.filter(dosing_record__appointment__patient=patient)
        .select_related("dosing_record")
        .order_by("-occurred_at")
    )
    if not events:
        return []
    label = "Adverse event" if len(events) == 1 else f"{len(events)} adverse events"
    return [
        Badge(
            label=label,
            tone="danger",
            url=reverse("sessions:dosing_record", args=[events[0].dosing_record.uuid]),
            detail=events[0].get_severity_display(),
        )
    ]


def register() -> None:
    for model, path, what in [
        (Appointment, "patient", "Appointment"),
        (Course, "patient", "Treatment course"),
        (DosingRecord, "appointment__patient", "Dosing record"),
        (Readiness, "appointment__patient", "Readiness checklist"),
    ]:
        audit_describer_register(model._meta.label_lower, patient_describer(model, path, what))
    chart_section_register(
        key="sessions",
        title="Courses and sessions",
        roles=ALL_STAFF,
        template="kap_sessions/chart/sessions.html",
        context=_sessions_section,
        order=30,
    )
    chart_section_register(
        key="dosing",
        title="Dosing records",
        roles=CLINICIANS,
        template="kap_sessions/chart/dosing.html",
        context=_dosing_section,
        order=40,
    )
    chart_timeline_register("sessions.schedule", ALL_STAFF, _schedule_events)
    # Doses: who may see them (view_dose), i.e. prescribers.
    chart_timeline_register("sessions.doses", frozenset({Role.PRESCRIBER}), _dose_events)
    chart_badge_register("sessions.adverse_events", CLINICIANS, _adverse_event_badges)
