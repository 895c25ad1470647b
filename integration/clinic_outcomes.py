"""The clinic's outcomes: a summary table per course, and the figures the outcomes page shows.

``outcomes_refresh`` (run by a Celery task on a schedule and when a course completes) writes one
``CourseOutcomeSummary`` row per completed course and instrument; the page reads only that table,
so its query count does not grow with the number of courses.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from intake.instruments import PHQ9
from intake.models import Patient, PatientStatus
from integration.models import CourseOutcomeSummary, ExclusionReason
from integration.outcomes import TREND_INSTRUMENTS, outcomes_of_patients
from kap_clinic.chart import patients_with_status
from sessions.models import Course, CourseStatus, Route

# CLINICAL.md: 95 % Wilson score intervals, z = 1.96 (Wilson 1927).
Z_95 = 1.96


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of successes/n as proportions (CLINICAL.md formula)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# --- the summary table --------------------------------------------------------------------------


@transaction.atomic
def outcomes_refresh(*, course_ids: Iterable[int] | None = None) -> int:
    """Recomputes the summary rows of completed courses (all of them, or ``course_ids``).

    Safe to run twice: rows are replaced per course. PHQ-9 always has a row (it is the clinic's
    headline figure; a course without one is counted as excluded); other instruments have one
    when the course has scores of them.
    """
    courses = Course.objects.filter(status=CourseStatus.COMPLETED).select_related("protocol")
    stale = CourseOutcomeSummary.objects.exclude(course__status=CourseStatus.COMPLETED)
    if course_ids is not None:
        ids = list(course_ids)
        courses = courses.filter(id__in=ids)
        stale = stale.filter(course_id__in=ids)
    stale.delete()
    courses_list = list(courses)
    outcomes = outcomes_of_patients({course.patient_id for course in courses_list})
    now = timezone.now()
    rows = []
    for course in courses_list:
        for key in TREND_INSTRUMENTS:
            outcome = outcomes.get((course.pk, key))
            if outcome is None or (key != PHQ9.key and not outcome.scores):
                continue
            rows.append(
                CourseOutcomeSummary(
                    course=course,
                    instrument_key=key,
                    protocol_id=course.protocol_id,
                    route=course.protocol.route,
                    clinician_id=course.therapist_id,
                    start_date=course.start_date,
                    baseline_total=outcome.baseline.value if outcome.baseline else None,
                    baseline_at=outcome.baseline.taken_at if outcome.baseline else None,
                    end_total=outcome.end.value if outcome.end else None,
                    end_at=outcome.end.taken_at if outcome.end else None,
                    end_phase=outcome.end_phase,
                    change=outcome.change,
                    response=outcome.response,
                    remission=outcome.remission,
                    excluded_reason=outcome.excluded_reason,
                    computed_at=now,
                )
            )
    CourseOutcomeSummary.objects.filter(course__in=courses_list).delete()
    CourseOutcomeSummary.objects.bulk_create(rows)
    return len(rows)


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    count: int
    n: int

    @property
    def percent(self) -> float | None:
        return self.count / self.n * 100 if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        found = wilson_interval(self.count, self.n)
        return (found[0] * 100, found[1] * 100) if found else None


@dataclass
class Group:
    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def included(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if not row["excluded_reason"]]

    @property
    def courses(self) -> int:
        return len(self.rows)

    @property
    def response(self) -> Proportion:
        included = self.included
        return Proportion(sum(1 for row in included if row["response"]), len(included))

    @property
    def remission(self) -> Proportion | None:
        assessed = [row for row in self.included if row["remission"] is not None]
        if not assessed:
            return None
        return Proportion(sum(1 for row in assessed if row["remission"]), len(assessed))

    @property
    def median_change(self) -> float | None:
        changes = [row["change"] for row in self.included]
        return statistics.median(changes) if changes else None

    @property
    def ended_in_follow_up(self) -> int:
        return sum(1 for row in self.included if row["end_phase"] == "follow_up")

    @property
    def excluded(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            if row["excluded_reason"]:
                counts[row["excluded_reason"]] += 1
        return [(ExclusionReason(reason).label, count) for reason, count in sorted(counts.items())]

    @property
    def excluded_total(self) -> int:
        return sum(count for _, count in self.excluded)


@dataclass(frozen=True)
class Breakdown:
    title: str
    groups: list[Group]


@dataclass(frozen=True)
class Report:
    instrument_key: str
    overall: Group
    breakdowns: list[Breakdown]
    in_course: int
    computed_at: Any
    # By the same derived status as the landing counts, the lists and the chart.
    in_treatment: int = 0
    course_completed: int = 0
    maintenance: int = 0


ROW_FIELDS = (
    "id",
    "protocol__name",
    "route",
    "clinician__full_name",
    "start_date",
    "baseline_total",
    "end_total",
    "end_phase",
    "change",
    "response",
    "remission",
    "excluded_reason",
    "computed_at",
)


def summary_rows(
    *, instrument_key: str, protocol_uuid: str | None, start: date | None, end: date | None
) -> QuerySet[CourseOutcomeSummary]:
    rows = CourseOutcomeSummary.objects.filter(instrument_key=instrument_key)
    if protocol_uuid:
        rows = rows.filter(protocol__uuid=protocol_uuid)
    if start:
        rows = rows.filter(start_date__gte=start)
    if end:
        rows = rows.filter(start_date__lte=end)
    return rows.order_by("start_date", "id")


def _period(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _grouped(title: str, rows: Sequence[dict[str, Any]], label: Any) -> Breakdown:
    groups: dict[str, Group] = {}
    for row in rows:
        name = label(row)
        groups.setdefault(name, Group(name)).rows.append(row)
    return Breakdown(title, sorted(groups.values(), key=lambda group: group.label))


def clinic_report(
    *, instrument_key: str, protocol_uuid: str | None, start: date | None, end: date | None
) -> Report:
    """The outcomes page's figures from the summary table (two queries at any size)."""
    rows = list(
        summary_rows(
            instrument_key=instrument_key, protocol_uuid=protocol_uuid, start=start, end=end
        ).values(*ROW_FIELDS)
    )
    routes = dict(Route.choices)
    in_course = (
        Course.objects.filter(status=CourseStatus.ACTIVE).values("patient").distinct().count()
    )
    by_status = dict(
        patients_with_status(
            Patient.objects.filter(
                id__in=Course.objects.exclude(status=CourseStatus.CANCELLED).values("patient_id")
            ).order_by()
        )
        .values_list("lifecycle")
        .annotate(total=Count("id"))
    )
    breakdowns = [
        _grouped("Protocol", rows, lambda row: row["protocol__name"]),
        _grouped("Route", rows, lambda row: str(routes.get(row["route"], row["route"]))),
        _grouped(
            "Therapist",
            rows,
            lambda row: row["clinician__full_name"],
        ),
        _grouped("Period (course start)", rows, lambda row: _period(row["start_date"])),
    ]
    return Report(
        instrument_key=instrument_key,
        overall=Group("All completed courses", rows),
        breakdowns=breakdowns,
        in_course=in_course,
        in_treatment=by_status.get(PatientStatus.IN_TREATMENT, 0),
        course_completed=by_status.get(PatientStatus.COMPLETED, 0),
        maintenance=by_status.get(PatientStatus.MAINTENANCE, 0),
        computed_at=max((row["computed_at"] for row in rows), default=None),
    )


CSV_HEADER = [
    "row",
    "instrument",
    "protocol",
    "route",
    "course start year",
    "baseline",
    "end",
    "end taken in",
    "change",
    "response",
    "remission",
    "excluded because",
]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def csv_rows(rows: Iterable[dict[str, Any]], *, instrument_name: str) -> list[list[object]]:
    """De-identified rows: no names, ids or dates finer than the year (HIPAA Safe Harbor)."""
    routes = dict(Route.choices)
    return [
        [
            index,
            instrument_name,
            row["protocol__name"],
            str(routes.get(row["route"], row["route"])),
            row["start_date"].year,
            "" if row["baseline_total"] is None else row["baseline_total"],
            "" if row["end_total"] is None else row["end_total"],
            {"treatment": "treatment", "follow_up": "follow-up"}.get(row["end_phase"], ""),
            "" if row["change"] is None else row["change"],
            _yes_no(row["response"]),
            _yes_no(row["remission"]),
            ExclusionReason(row["excluded_reason"]).label if row["excluded_reason"] else "",
        ]
        for index, row in enumerate(rows, start=1)
    ]
