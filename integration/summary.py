"""The course summary for the chart, and the letter to outside providers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from integration.episodes import CourseOutcome, Definition
from integration.outcomes import course_trends
from sessions.models import AdverseEvent, Course, DoseAdministration


@dataclass(frozen=True)
class InstrumentSummary:
    name: str
    outcome: CourseOutcome
    definition: Definition


@dataclass(frozen=True)
class CourseSummary:
    course: Course
    sessions: list[tuple[str, int]]
    doses: list[DoseAdministration]
    adverse_events: list[AdverseEvent]
    scores: list[InstrumentSummary]


def course_summary(course: Course, *, include_doses: bool) -> CourseSummary:
    """The course in short; doses only for readers who may see them (prescribers: ``view_dose``;
    therapists have monitoring only)."""
    appointments = list(course.appointments.all())
    completed = Counter(
        appointment.get_kind_display()
        for appointment in appointments
        if appointment.status == "completed"
    )
    doses = (
        list(
            DoseAdministration.objects.filter(dosing_record__appointment__course=course).order_by(
                "started_at"
            )
        )
        if include_doses
        else []
    )
    adverse_events = list(
        AdverseEvent.objects.filter(dosing_record__appointment__course=course).order_by(
            "occurred_at"
        )
    )
    scores = [
        InstrumentSummary(trend.name, trend.outcome, trend.definition)
        for trend in course_trends(course)
        if trend.outcome is not None
    ]
    return CourseSummary(
        course=course,
        sessions=sorted(completed.items()),
        doses=doses,
        adverse_events=adverse_events,
        scores=scores,
    )


def summary_context(course: Course, *, include_doses: bool) -> dict[str, Any]:
    return {
        "summary": course_summary(course, include_doses=include_doses),
        "course": course,
        "show_doses": include_doses,
    }
