"""Episodes of care: every score belongs to the course whose window contains it.

A course's windows (issue 12; lengths are the clinic's ``OutcomePolicy``):
- baseline: the ``baseline_window_days`` before the first dose;
- treatment: from the first dose to the end of the course's last session (integration after
  the last dose is still treatment);
- follow-up: after that, to ``follow_up_days`` after the last dose.

When windows of two courses of one patient meet, treatment wins; where a follow-up meets the
next course's baseline window, the last score before the next course's first dose is that
course's baseline and the earlier ones stay the previous course's follow-up. A score in no
window (the gap between a follow-up and the next baseline) belongs to no course.

The baseline is the last score in the baseline window; the end is the last score in the
treatment or follow-up window, and says which. Response and remission follow the instrument's
``OutcomeDefinition`` (CLINICAL.md, "Measurement-based care").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from integration.models import ExclusionReason, Phase, RemissionRule
from integration.trends import Score

# Dosing sessions that did not happen do not open or close a course's windows.
NOT_HELD = ("cancelled", "no_show")
GIVEN = ("completed", "in_progress")


@dataclass(frozen=True)
class Definition:
    """Response and remission of one instrument (a row of ``OutcomeDefinition``)."""

    instrument_key: str
    response_fall_percent: int = 50
    remission_rule: str = RemissionRule.NONE
    remission_value: int | None = None
    source: str = ""
    verified: bool = True

    def is_response(self, baseline: int, end: int) -> bool:
        # Integer arithmetic: a fall of exactly the percentage counts (20 -> 10 at 50 %).
        return baseline > 0 and (baseline - end) * 100 >= baseline * self.response_fall_percent

    def is_remission(self, end: int) -> bool | None:
        if self.remission_value is None or not self.remission_rule:
            return None
        if self.remission_rule == RemissionRule.BELOW:
            return end < self.remission_value
        return end <= self.remission_value

    @property
    def remission_text(self) -> str:
        if self.remission_value is None or not self.remission_rule:
            return ""
        word = "below" if self.remission_rule == RemissionRule.BELOW else "at or below"
        return f"{word} {self.remission_value}"


@dataclass(frozen=True)
class CourseWindow:
    course_id: int
    first_dose: datetime | None
    last_dose: datetime | None
    treatment_end: datetime | None
    baseline_from: datetime | None
    follow_up_end: datetime | None
    # Doses actually given (completed or under way), for the non-response rule.
    doses_given: tuple[datetime, ...] = ()

    def phase_of(self, moment: datetime) -> str | None:
        if (
            self.first_dose is None
            or self.baseline_from is None
            or self.treatment_end is None
            or self.follow_up_end is None
        ):
            return None
        if self.baseline_from <= moment < self.first_dose:
            return Phase.BASELINE
        if self.first_dose <= moment <= self.treatment_end:
            return Phase.TREATMENT
        if self.treatment_end < moment <= self.follow_up_end:
            return Phase.FOLLOW_UP
        return None


@dataclass(frozen=True)
class Session:
    """What the windows need of one appointment of a course."""

    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime


def course_window(
    course_id: int,
    sessions: Iterable[Session],
    *,
    baseline_days: int,
    follow_up_days: int,
) -> CourseWindow:
    held = [s for s in sessions if s.status not in NOT_HELD]
    doses = sorted(s.starts_at for s in held if s.kind == "dosing")
    if not doses:
        return CourseWindow(course_id, None, None, None, None, None)
    first, last = doses[0], doses[-1]
    follow_up_end = last + timedelta(days=follow_up_days)
    treatment_end = min(max(s.ends_at for s in held), follow_up_end)
    return CourseWindow(
        course_id=course_id,
        first_dose=first,
        last_dose=last,
        treatment_end=treatment_end,
        baseline_from=first - timedelta(days=baseline_days),
        follow_up_end=follow_up_end,
        doses_given=tuple(
            sorted(s.starts_at for s in held if s.kind == "dosing" and s.status in GIVEN)
        ),
    )


@dataclass(frozen=True)
class PhasedScore:
    score: Score
    phase: str


def scores_by_course(
    scores: Iterable[Score], windows: Sequence[CourseWindow]
) -> dict[int, list[PhasedScore]]:
    """Each course's own scores with their phase, in time order.

    Where one course's follow-up meets the next course's baseline window, only the last score
    before the next course's first dose is its baseline; earlier ones stay the previous course's
    follow-up, so neither course loses the score that matters to it.
    """
    ordered = sorted(scores, key=lambda s: s.taken_at)
    last_before: dict[int, Score] = {}
    for window in windows:
        found = [s for s in ordered if window.phase_of(s.taken_at) == Phase.BASELINE]
        if found:
            last_before[window.course_id] = found[-1]
    by_course: dict[int, list[PhasedScore]] = defaultdict(list)
    for score in ordered:
        candidates = {
            phase: window.course_id
            for window in windows
            if (phase := window.phase_of(score.taken_at)) is not None
        }
        if Phase.TREATMENT in candidates:
            chosen = Phase.TREATMENT
        elif Phase.BASELINE in candidates and (
            Phase.FOLLOW_UP not in candidates
            or last_before.get(candidates[Phase.BASELINE]) == score
        ):
            chosen = Phase.BASELINE
        elif Phase.FOLLOW_UP in candidates:
            chosen = Phase.FOLLOW_UP
        else:
            continue
        by_course[candidates[chosen]].append(PhasedScore(score, chosen))
    return by_course


@dataclass(frozen=True)
class CourseOutcome:
    instrument_key: str
    baseline: Score | None
    end: Score | None
    end_phase: str
    response: bool | None
    remission: bool | None
    excluded_reason: str
    scores: list[PhasedScore] = field(default_factory=list)

    @property
    def change(self) -> int | None:
        if self.baseline is None or self.end is None:
            return None
        return self.end.value - self.baseline.value

    @property
    def end_phase_label(self) -> str:
        return Phase(self.end_phase).label if self.end_phase else ""

    @property
    def excluded_label(self) -> str:
        return ExclusionReason(self.excluded_reason).label if self.excluded_reason else ""


def course_outcome(
    phased: Sequence[PhasedScore], *, window: CourseWindow, definition: Definition
) -> CourseOutcome:
    """Baseline, end, response and remission of one course on one instrument."""
    baseline = max(
        (p.score for p in phased if p.phase == Phase.BASELINE),
        key=lambda s: s.taken_at,
        default=None,
    )
    after = [p for p in phased if p.phase in (Phase.TREATMENT, Phase.FOLLOW_UP)]
    last = max(after, key=lambda p: p.score.taken_at, default=None)
    end = last.score if last else None
    end_phase = last.phase if last else ""
    reason = ExclusionReason.INCLUDED
    if window.first_dose is None:
        reason = ExclusionReason.NO_DOSE
    elif baseline is None:
        reason = ExclusionReason.NO_BASELINE
    elif end is None:
        reason = ExclusionReason.NO_END
    elif baseline.value == 0:
        reason = ExclusionReason.ZERO_BASELINE
    response = remission = None
    if baseline is not None and end is not None and baseline.value > 0:
        response = definition.is_response(baseline.value, end.value)
        remission = definition.is_remission(end.value)
    return CourseOutcome(
        instrument_key=definition.instrument_key,
        baseline=baseline,
        end=end,
        end_phase=end_phase,
        response=response,
        remission=remission,
        excluded_reason=str(reason),
        scores=list(phased),
    )


def patient_course_outcomes(
    *,
    scores: Mapping[str, Sequence[Score]],
    windows: Sequence[CourseWindow],
    definitions: Mapping[str, Definition],
) -> dict[tuple[int, str], CourseOutcome]:
    """Every (course id, instrument) outcome of one patient, from their scores and windows."""
    result: dict[tuple[int, str], CourseOutcome] = {}
    for key, instrument_scores in scores.items():
        definition = definitions.get(key, Definition(key))
        by_course = scores_by_course(instrument_scores, windows)
        for window in windows:
            result[(window.course_id, key)] = course_outcome(
                by_course.get(window.course_id, []), window=window, definition=definition
            )
    return result
