"""Reads for the trend page and the clinic's outcomes page (PHQ-9 response and remission)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Min, Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from intake.instruments import GAD7, INSTRUMENTS, MADRS, PCL5, PHQ9
from intake.models import ClinicPolicy, InstrumentResponse, Patient
from integration.trends import Band, Outcome, Score, outcome, trend_svg
from sessions.models import AppointmentKind, AppointmentStatus, Course, CourseStatus

# MADRS is clinician-rated (integration.ratings); it counts like the patients' measures.
TREND_INSTRUMENTS = (PHQ9.key, GAD7.key, PCL5.key, MADRS.key)
DOSED = (AppointmentStatus.COMPLETED, AppointmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Trend:
    instrument_key: str
    name: str
    svg: SafeString
    outcome: Outcome


def dose_times(patient: Patient) -> list[datetime]:
    return list(
        patient.appointments.filter(kind=AppointmentKind.DOSING, status__in=DOSED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )


def patient_trends(patient: Patient) -> list[Trend]:
    """One chart per instrument the patient answered, bands shaded and doses marked."""
    by_instrument: dict[str, list[Score]] = defaultdict(list)
    for key, total, recorded_at in InstrumentResponse.objects.filter(
        patient=patient, instrument_key__in=TREND_INSTRUMENTS, total__isnull=False
    ).values_list("instrument_key", "total", "recorded_at"):
        by_instrument[key].append(Score(recorded_at, total or 0))
    doses = dose_times(patient)
    first_dose = doses[0] if doses else None
    cut = ClinicPolicy.get().pcl5_cut_point
    trends = []
    for key in TREND_INSTRUMENTS:
        scores = by_instrument.get(key)
        if not scores:
            continue
        instrument = INSTRUMENTS[key]
        bands = [
            Band(band.low, band.high, band.label)
            for band in instrument.bands_for(cut_point=cut if key == PCL5.key else None)
        ]
        svg = trend_svg(
            title=f"{instrument.name} over time",
            scores=scores,
            maximum=instrument.max_total,
            bands=bands,
            doses=doses,
            time_zone_label="UTC",
        )
        trends.append(
            Trend(
                instrument_key=key,
                name=instrument.name,
                # trend_svg escapes every text it draws.
                svg=mark_safe(svg),  # noqa: S308
                outcome=outcome(scores, instrument=key, first_dose_at=first_dose),
            )
        )
    return trends


@dataclass(frozen=True)
class ClinicOutcomes:
    in_course: int
    completed: int
    with_outcome: int
    responders: int
    remitters: int
    average_change: float | None

    @property
    def response_rate(self) -> float | None:
        return self.responders / self.with_outcome * 100 if self.with_outcome else None

    @property
    def remission_rate(self) -> float | None:
        return self.remitters / self.with_outcome * 100 if self.with_outcome else None


def courses_filtered(
    *, protocol_uuid: str | None, start: date | None, end: date | None
) -> QuerySet[Course]:
    courses = Course.objects.exclude(status=CourseStatus.CANCELLED)
    if protocol_uuid:
        courses = courses.filter(protocol__uuid=protocol_uuid)
    if start:
        courses = courses.filter(start_date__gte=start)
    if end:
        courses = courses.filter(start_date__lte=end)
    return courses


def clinic_outcomes(courses: QuerySet[Course]) -> ClinicOutcomes:
    """PHQ-9 response and remission over the completed courses (three queries in all)."""
    in_course = courses.filter(status=CourseStatus.ACTIVE).values("patient").distinct().count()
    completed = list(
        courses.filter(status=CourseStatus.COMPLETED)
        .annotate(
            first_dose=Min(
                "appointments__starts_at",
                filter=Q(appointments__kind=AppointmentKind.DOSING, appointments__status__in=DOSED),
            ),
        )
        .values("id", "patient_id", "first_dose")
    )
    patient_ids = {course["patient_id"] for course in completed}
    scores: dict[int, list[Score]] = defaultdict(list)
    for patient_id, total, recorded_at in InstrumentResponse.objects.filter(
        patient_id__in=patient_ids, instrument_key=PHQ9.key, total__isnull=False
    ).values_list("patient_id", "total", "recorded_at"):
        scores[patient_id].append(Score(recorded_at, total or 0))
    with_outcome = responders = remitters = 0
    changes: list[int] = []
    for course in completed:
        result = outcome(
            scores.get(course["patient_id"], []),
            instrument=PHQ9.key,
            first_dose_at=course["first_dose"],
        )
        if result.change is None:
            continue
        with_outcome += 1
        responders += result.response
        remitters += result.remission
        changes.append(result.change)
    return ClinicOutcomes(
        in_course=in_course,
        completed=len(completed),
        with_outcome=with_outcome,
        responders=responders,
        remitters=remitters,
        average_change=sum(changes) / len(changes) if changes else None,
    )
