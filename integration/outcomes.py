"""Reads of measurement-based care, by course: windows, outcomes and trend charts.

Callable by course or patient (the chart and the patient's "My progress" use them): each
function loads what it needs in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from intake.instruments import GAD7, INSTRUMENTS, MADRS, PCL5, PHQ9
from intake.models import ClinicPolicy, InstrumentResponse, Patient
from integration.episodes import (
    CourseOutcome,
    CourseWindow,
    Definition,
    Session,
    course_window,
    patient_course_outcomes,
)
from integration.models import OutcomeDefinition, OutcomePolicy
from integration.trends import Band, CourseSpan, Score, trend_svg
from sessions.models import Appointment, AppointmentKind, Course, CourseStatus

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
TREND_INSTRUMENTS = (PHQ9.key, GAD7.key, PCL5.key, MADRS.key)


def definitions() -> dict[str, Definition]:
    """Response and remission per instrument (one query)."""
    return {
        row.instrument_key: Definition(
            instrument_key=row.instrument_key,
            response_fall_percent=row.response_fall_percent,
            remission_rule=row.remission_rule,
            remission_value=row.remission_value,
            source=row.source,
            verified=row.verified,
        )
        for row in OutcomeDefinition.objects.all()
    }


def windows_of_patients(
    patient_ids: Iterable[int], *, policy: OutcomePolicy
) -> dict[int, list[CourseWindow]]:
    """Each patient's course windows, in course order (two queries)."""
    ids = set(patient_ids)
    courses = list(
        Course.objects.filter(patient_id__in=ids)
        .exclude(status=CourseStatus.CANCELLED)
        .values_list("id", "patient_id")
    )
    sessions: dict[int, list[Session]] = defaultdict(list)
    for course_id, kind, status, starts_at, ends_at in Appointment.objects.filter(
        course_id__in=[course_id for course_id, _ in courses]
    ).values_list("course_id", "kind", "status", "starts_at", "ends_at"):
        sessions[course_id].append(Session(kind, status, starts_at, ends_at))
    windows: dict[int, list[CourseWindow]] = defaultdict(list)
    for course_id, patient_id in courses:
        windows[patient_id].append(
            course_window(
                course_id,
                sessions.get(course_id, []),
                baseline_days=policy.baseline_window_days,
                follow_up_days=policy.follow_up_days,
            )
        )
    for patient_windows in windows.values():
        patient_windows.sort(key=lambda w: (w.first_dose is None, w.first_dose or FAR_FUTURE))
    return windows


def scores_of_patients(
    patient_ids: Iterable[int], instrument_keys: Iterable[str] = TREND_INSTRUMENTS
) -> dict[int, dict[str, list[Score]]]:
    """Each patient's scored responses per instrument (one query)."""
    scores: dict[int, dict[str, list[Score]]] = defaultdict(lambda: defaultdict(list))
    for patient_id, key, total, recorded_at in InstrumentResponse.objects.filter(
        patient_id__in=set(patient_ids),
        instrument_key__in=list(instrument_keys),
        total__isnull=False,
    ).values_list("patient_id", "instrument_key", "total", "recorded_at"):
        scores[patient_id][key].append(Score(recorded_at, total or 0))
    return scores


def windows_and_outcomes(
    patient_ids: Iterable[int],
    instrument_keys: Iterable[str] = TREND_INSTRUMENTS,
    *,
    policy: OutcomePolicy | None = None,
) -> tuple[dict[int, CourseWindow], dict[tuple[int, str], CourseOutcome]]:
    """Every course window and (course id, instrument) outcome of these patients (five queries)."""
    ids = set(patient_ids)
    keys = list(instrument_keys)
    windows = windows_of_patients(ids, policy=policy or OutcomePolicy.get())
    scores = scores_of_patients(ids, keys)
    found = definitions()
    result: dict[tuple[int, str], CourseOutcome] = {}
    for patient_id in ids:
        patient_scores = {key: scores[patient_id].get(key, []) for key in keys}
        result.update(
            patient_course_outcomes(
                scores=patient_scores, windows=windows.get(patient_id, []), definitions=found
            )
        )
    by_course = {w.course_id: w for patient_windows in windows.values() for w in patient_windows}
    return by_course, result


def outcomes_of_patients(
    patient_ids: Iterable[int], instrument_keys: Iterable[str] = TREND_INSTRUMENTS
) -> dict[tuple[int, str], CourseOutcome]:
    """Every (course id, instrument) outcome of these patients, in a fixed number of queries."""
    return windows_and_outcomes(patient_ids, instrument_keys)[1]


# --- trends -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    instrument_key: str
    name: str
    svg: SafeString
    definition: Definition
    # The outcome of the course the chart is about (None on a patient's all-courses chart).
    outcome: CourseOutcome | None = None


@dataclass(frozen=True)
class CourseResult:
    """One course's outcome on one instrument, for the per-course table of a patient's trends."""

    course: Course
    name: str
    definition: Definition
    outcome: CourseOutcome
    number: int = 0


def _span(course: Course, window: CourseWindow, number: int = 0) -> CourseSpan | None:
    if window.first_dose is None or window.baseline_from is None or window.follow_up_end is None:
        return None
    return CourseSpan(
        label=f"{course.protocol.name} from {course.start_date:%Y-%m-%d}",
        start=window.baseline_from,
        first_dose=window.first_dose,
        end=window.follow_up_end,
        short_label=f"Course {number}" if number else "",
    )


def _bands(key: str) -> list[Band]:
    cut = ClinicPolicy.get().pcl5_cut_point if key == PCL5.key else None
    return [
        Band(band.low, band.high, band.label) for band in INSTRUMENTS[key].bands_for(cut_point=cut)
    ]


def _doses(course_ids: Iterable[int]) -> list[datetime]:
    return list(
        Appointment.objects.filter(course_id__in=list(course_ids), kind=AppointmentKind.DOSING)
        .exclude(status__in=["cancelled", "no_show"])
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )


def course_outcomes(course: Course) -> tuple[CourseWindow, dict[str, CourseOutcome]]:
    """The course's window and its outcome per instrument, from its own scores only."""
    windows = windows_of_patients([course.patient_id], policy=OutcomePolicy.get()).get(
        course.patient_id, []
    )
    scores = scores_of_patients([course.patient_id])[course.patient_id]
    outcomes = patient_course_outcomes(
        scores={key: scores.get(key, []) for key in TREND_INSTRUMENTS},
        windows=windows,
        definitions=definitions(),
    )
    window = next(
        (w for w in windows if w.course_id == course.pk),
        CourseWindow(course.pk, None, None, None, None, None),
    )
    return window, {
        key: outcomes[(course.pk, key)] for key in TREND_INSTRUMENTS if (course.pk, key) in outcomes
    }


def course_trends(
    course: Course,
    *,
    computed: tuple[CourseWindow, dict[str, CourseOutcome]] | None = None,
) -> list[Trend]:
    """The course's own charts: only the scores in its windows, with its baseline and end.

    ``computed`` is what ``course_outcomes(course)`` returned, when the caller has it already.
    """
    window, outcomes = computed or course_outcomes(course)
    found = definitions()
    span = _span(course, window)
    if span is not None:
        span = CourseSpan(span.label, span.start, span.first_dose, span.end, "This course")
    doses = _doses([course.pk])
    trends = []
    for key in TREND_INSTRUMENTS:
        result = outcomes.get(key)
        if result is None or not result.scores:
            continue
        instrument = INSTRUMENTS[key]
        svg = trend_svg(
            title=f"{instrument.name} during the course",
            scores=[phased.score for phased in result.scores],
            maximum=instrument.max_total,
            bands=_bands(key),
            doses=doses,
            courses=[span] if span else [],
            time_zone_label=settings.TIME_ZONE.replace("_", " "),
            zone=ZoneInfo(settings.TIME_ZONE),
        )
        trends.append(
            Trend(
                instrument_key=key,
                name=instrument.name,
                svg=mark_safe(svg),  # noqa: S308  (trend_svg escapes every text it draws)
                definition=found.get(key, Definition(key)),
                outcome=result,
            )
        )
    return trends


def patient_trends(
    patient: Patient, *, time_zone: str = ""
) -> tuple[list[Trend], list[CourseResult]]:
    """All the patient's scores per instrument with course boundaries, and each course's result;
    dates in ``time_zone`` (the clinic's by default; the patient's own on their pages)."""
    zone = ZoneInfo(time_zone or settings.TIME_ZONE)
    courses = {
        course.pk: course
        for course in Course.objects.filter(patient=patient)
        .exclude(status=CourseStatus.CANCELLED)
        .select_related("protocol")
    }
    policy = OutcomePolicy.get()
    windows = windows_of_patients([patient.pk], policy=policy).get(patient.pk, [])
    scores = scores_of_patients([patient.pk])[patient.pk]
    found = definitions()
    outcomes = patient_course_outcomes(
        scores={key: scores.get(key, []) for key in TREND_INSTRUMENTS},
        windows=windows,
        definitions=found,
    )
    spans = [
        span
        for number, w in enumerate(windows, start=1)
        if (span := _span(courses[w.course_id], w, number)) is not None
    ]
    doses = _doses(courses)
    trends: list[Trend] = []
    results: list[CourseResult] = []
    for key in TREND_INSTRUMENTS:
        if not scores.get(key):
            continue
        instrument = INSTRUMENTS[key]
        definition = found.get(key, Definition(key))
        svg = trend_svg(
            title=f"{instrument.name} over time",
            scores=scores[key],
            maximum=instrument.max_total,
            bands=_bands(key),
            doses=doses,
            courses=spans,
            time_zone_label=str(zone).replace("_", " "),
            zone=zone,
        )
        trends.append(
            Trend(
                instrument_key=key,
                name=instrument.name,
                svg=mark_safe(svg),  # noqa: S308  (trend_svg escapes every text it draws)
                definition=definition,
            )
        )
        for number, window in enumerate(windows, start=1):
            outcome = outcomes.get((window.course_id, key))
            if outcome is not None and outcome.scores:
                results.append(
                    CourseResult(
                        courses[window.course_id], instrument.name, definition, outcome, number
                    )
                )
    return trends, results
