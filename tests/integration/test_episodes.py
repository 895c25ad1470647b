"""Episodes of care = courses: hand-computed cases of windows, baselines, ends and outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integration.episodes import (
    CourseWindow,
    Definition,
    Session,
    course_window,
    patient_course_outcomes,
    scores_by_course,
)
from integration.trends import Score

PHQ9 = Definition("phq9", 50, "below", 5)
MADRS = Definition("madrs", 50, "at_or_below", 10, verified=False)
GAD7 = Definition("gad7", 50)


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 8, 0, tzinfo=UTC)


def _dose(month: int, day: int) -> Session:
    start = datetime(2026, month, day, 9, 0, tzinfo=UTC)
    return Session("dosing", "completed", start, start + timedelta(hours=2))


def _window(course_id: int, *sessions: Session) -> CourseWindow:
    return course_window(course_id, sessions, baseline_days=30, follow_up_days=90)


# Course 1: doses 10 and 24 March, integration 26 March; follow-up to 22 June (24 March + 90 d).
COURSE_1 = _window(
    1,
    _dose(3, 10),
    _dose(3, 24),
    Session(
        "integration",
        "completed",
        datetime(2026, 3, 26, 9, tzinfo=UTC),
        datetime(2026, 3, 26, 10, tzinfo=UTC),
    ),
    Session("dosing", "cancelled", _at(4, 7), _at(4, 7) + timedelta(hours=2)),
)
# Course 2: first dose 1 September; its baseline window opens 2 August.
COURSE_2 = _window(2, _dose(9, 1), _dose(9, 15))

SCORES = [
    Score(_at(2, 1), 24),  # more than 30 days before course 1: no course's baseline
    Score(_at(3, 1), 20),  # course 1 baseline
    Score(_at(3, 20), 12),  # course 1 treatment
    Score(_at(4, 15), 8),  # course 1 follow-up
    Score(_at(6, 1), 7),  # course 1 follow-up: its end
    Score(_at(7, 15), 25),  # the gap: after course 1's follow-up, before course 2's baseline
    Score(_at(8, 20), 18),  # course 2 baseline
    Score(_at(9, 10), 6),  # course 2 treatment
]


def test_windows_run_from_30_days_before_the_first_dose_to_90_days_after_the_last() -> None:
    assert COURSE_1.first_dose == datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert COURSE_1.baseline_from == datetime(2026, 2, 8, 9, tzinfo=UTC)
    # The integration session after the last dose is still treatment; the cancelled dose is not.
    assert COURSE_1.treatment_end == datetime(2026, 3, 26, 10, tzinfo=UTC)
    assert COURSE_1.follow_up_end == datetime(2026, 6, 22, 9, tzinfo=UTC)


def test_two_sequential_courses_each_have_their_own_baseline_and_end() -> None:
    outcomes = patient_course_outcomes(
        scores={"phq9": SCORES}, windows=[COURSE_1, COURSE_2], definitions={"phq9": PHQ9}
    )
    first, second = outcomes[(1, "phq9")], outcomes[(2, "phq9")]
    assert (first.baseline, first.end) == (Score(_at(3, 1), 20), Score(_at(6, 1), 7))
    assert first.end_phase == "follow_up"
    assert (first.change, first.response, first.remission) == (-13, True, False)
    # Course 2 starts again from its own baseline: 18, not course 1's 20.
    assert (second.baseline, second.end) == (Score(_at(8, 20), 18), Score(_at(9, 10), 6))
    assert second.end_phase == "treatment"
    assert (second.change, second.response, second.remission) == (-12, True, False)
    # A responder in course 1 stays a responder once course 2 has begun.
    assert first.response is True


def test_a_score_in_the_gap_between_courses_belongs_to_neither() -> None:
    by_course = scores_by_course(SCORES, [COURSE_1, COURSE_2])
    assert Score(_at(7, 15), 25) not in [p.score for p in by_course[1] + by_course[2]]
    assert Score(_at(2, 1), 24) not in [p.score for p in by_course[1]]


def test_a_missing_baseline_excludes_the_course_and_says_why() -> None:
    outcomes = patient_course_outcomes(
        scores={"phq9": [Score(_at(2, 1), 24), Score(_at(3, 20), 4)]},
        windows=[COURSE_1],
        definitions={"phq9": PHQ9},
    )
    result = outcomes[(1, "phq9")]
    assert result.baseline is None
    assert (result.response, result.remission) == (None, None)
    assert result.excluded_reason == "no_baseline"
    assert result.excluded_label == "No baseline score before the first dose"


def test_no_score_after_the_first_dose_and_no_dose_are_excluded() -> None:
    no_end = patient_course_outcomes(
        scores={"phq9": [Score(_at(3, 1), 20)]}, windows=[COURSE_1], definitions={"phq9": PHQ9}
    )[(1, "phq9")]
    assert no_end.excluded_reason == "no_end"
    planned = _window(3, Session("preparation", "booked", _at(3, 1), _at(3, 1)))
    no_dose = patient_course_outcomes(
        scores={"phq9": SCORES}, windows=[planned], definitions={"phq9": PHQ9}
    )[(3, "phq9")]
    assert (no_dose.excluded_reason, no_dose.scores) == ("no_dose", [])


def test_follow_up_scores_end_the_course_until_3_months_after_the_last_dose() -> None:
    last_day = Score(datetime(2026, 6, 22, 9, tzinfo=UTC), 3)
    too_late = Score(datetime(2026, 6, 22, 9, 1, tzinfo=UTC), 19)
    result = patient_course_outcomes(
        scores={"phq9": [Score(_at(3, 1), 20), Score(_at(3, 20), 12), last_day, too_late]},
        windows=[COURSE_1],
        definitions={"phq9": PHQ9},
    )[(1, "phq9")]
    assert (result.end, result.end_phase, result.end_phase_label) == (
        last_day,
        "follow_up",
        "Follow-up",
    )
    assert (result.response, result.remission) == (True, True)


def test_a_score_just_before_the_next_course_is_its_baseline_not_the_previous_end() -> None:
    # Course 4 starts 1 July: its baseline window (from 1 June) overlaps course 1's follow-up.
    course_4 = _window(4, _dose(7, 1))
    scores = [Score(_at(3, 1), 20), Score(_at(3, 20), 12), Score(_at(6, 10), 15)]
    outcomes = patient_course_outcomes(
        scores={"phq9": scores}, windows=[COURSE_1, course_4], definitions={"phq9": PHQ9}
    )
    assert outcomes[(1, "phq9")].end == Score(_at(3, 20), 12)
    assert outcomes[(4, "phq9")].baseline == Score(_at(6, 10), 15)


@pytest.mark.parametrize(
    ("definition", "baseline", "end", "response", "remission"),
    [
        (PHQ9, 20, 10, True, False),  # exactly a 50 % fall: response
        (PHQ9, 20, 11, False, False),  # a 45 % fall: none
        (PHQ9, 9, 4, True, True),  # PHQ-9 4 is below 5
        (PHQ9, 6, 5, False, False),  # 5 is not below 5
        (MADRS, 30, 10, True, True),  # MADRS 10 is at or below 10
        (MADRS, 30, 11, True, False),
        (MADRS, 21, 11, False, False),  # 47.6 % fall
        (GAD7, 16, 2, True, None),  # no remission figure for GAD-7 in CLINICAL.md
    ],
)
def test_response_and_remission_per_instrument_at_their_edges(
    definition: Definition, baseline: int, end: int, response: bool, remission: bool | None
) -> None:
    assert definition.is_response(baseline, end) is response
    assert definition.is_remission(end) is remission


def test_a_baseline_of_zero_cannot_fall_and_is_excluded() -> None:
    result = patient_course_outcomes(
        scores={"phq9": [Score(_at(3, 1), 0), Score(_at(3, 20), 0)]},
        windows=[COURSE_1],
        definitions={"phq9": PHQ9},
    )[(1, "phq9")]
    assert (result.response, result.excluded_reason) == (None, "zero_baseline")


def test_an_earlier_score_in_the_next_courses_baseline_window_stays_a_follow_up() -> None:
    # Course 5 starts 20 June: its baseline window (from 21 May) overlaps course 1's follow-up.
    course_5 = _window(5, _dose(6, 20))
    scores = [
        Score(_at(3, 1), 20),
        Score(_at(3, 20), 12),
        Score(_at(5, 25), 6),  # course 1's follow-up, though inside course 5's baseline window
        Score(_at(6, 18), 9),  # the last score before course 5: its baseline
    ]
    outcomes = patient_course_outcomes(
        scores={"phq9": scores}, windows=[COURSE_1, course_5], definitions={"phq9": PHQ9}
    )
    assert (outcomes[(1, "phq9")].end, outcomes[(1, "phq9")].end_phase) == (
        Score(_at(5, 25), 6),
        "follow_up",
    )
    assert outcomes[(5, "phq9")].baseline == Score(_at(6, 18), 9)
    assert [p.score for p in outcomes[(5, "phq9")].scores] == [Score(_at(6, 18), 9)]
