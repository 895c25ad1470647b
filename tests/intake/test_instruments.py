"""Published scoring at every band edge (CLINICAL.md, "Instruments")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from intake.instruments import CADSS6, CSSRS_SCREENER, GAD7, MADRS, MOAAS, PCL5, PHQ9, Instrument


def answers_totalling(instrument: Instrument, total: int) -> dict[str, int]:
    """Answers whose sum is ``total``, filling items from the first."""
    answers: dict[str, int] = {}
    remaining = total
    for item in instrument.items:
        value = min(remaining, max(item.values))
        answers[item.key] = value
        remaining -= value
    assert remaining == 0
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total: int, band: str) -> None:
    score = PHQ9.score(answers_totalling(PHQ9, total))
    assert (score.total, score.band.key) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges(total: int, band: str) -> None:
    score = GAD7.score(answers_totalling(GAD7, total))
    assert (score.total, score.band.key) == (total, band)


@pytest.mark.parametrize(
    ("total", "cut_point", "band"),
    [
        (0, None, "below_cut_point"),
        (32, None, "below_cut_point"),
        (33, None, "probable"),
        (80, None, "probable"),
        (30, 31, "below_cut_point"),
        (31, 31, "probable"),
    ],
)
def test_pcl5_cut_point_defaults_to_33_and_follows_policy(
    total: int, cut_point: int | None, band: str
) -> None:
    score = PCL5.score(answers_totalling(PCL5, total), cut_point=cut_point)
    assert (score.total, score.band.key) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "normal"),
        (6, "normal"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
)
def test_madrs_band_edges(total: int, band: str) -> None:
    assert MADRS.score(answers_totalling(MADRS, total)).band.key == band


@pytest.mark.parametrize(
    ("level", "band"), [(0, "sedated"), (3, "sedated"), (4, "not_sedated"), (5, "not_sedated")]
)
def test_moaas_three_or_less_is_sedation(level: int, band: str) -> None:
    assert MOAAS.score({"level": level}).band.key == band


def test_cadss6_totals_six_items_of_0_to_4() -> None:
    assert CADSS6.max_total == 24
    assert CADSS6.score(answers_totalling(CADSS6, 24)).total == 24


def test_instrument_ranges_match_clinical_reference() -> None:
    assert (len(PHQ9.items), PHQ9.max_total) == (9, 27)
    assert (len(GAD7.items), GAD7.max_total) == (7, 21)
    assert (len(PCL5.items), PCL5.max_total) == (20, 80)
    assert (len(MADRS.items), MADRS.max_total) == (10, 60)


NO = dict.fromkeys(["q1", "q2", "q6"], 0)


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        (NO, "none"),
        ({**NO, "q1": 1}, "low"),
        ({**NO, "q2": 1, "q3": 0, "q4": 0, "q5": 0}, "low"),
        ({**NO, "q2": 1, "q3": 1, "q4": 0, "q5": 0}, "moderate"),
        ({**NO, "q6": 1, "q6_past_3_months": 0}, "moderate"),
        ({**NO, "q2": 1, "q3": 0, "q4": 1, "q5": 0}, "high"),
        ({**NO, "q2": 1, "q3": 0, "q4": 0, "q5": 1}, "high"),
        ({**NO, "q6": 1, "q6_past_3_months": 1}, "high"),
    ],
)
def test_cssrs_triage(answers: dict[str, int], band: str) -> None:
    score = CSSRS_SCREENER.score(answers)
    assert (score.total, score.band.key) == (None, band)


def test_cssrs_ignores_follow_up_questions_after_a_no() -> None:
    # Q3-Q5 are asked only after Q2 "yes"; a stray Q4 "yes" after Q2 "no" does not count.
    assert CSSRS_SCREENER.score({**NO, "q4": 1}).band.key == "none"


def test_cssrs_requires_follow_ups_after_a_yes() -> None:
    with pytest.raises(ValidationError, match="q3"):
        CSSRS_SCREENER.score({**NO, "q2": 1})


@pytest.mark.parametrize("bad", [{"item1": 4}, {"item1": -1}, {"item1": "x"}, {}])
def test_out_of_range_or_missing_answers_are_refused(bad: dict[str, object]) -> None:
    answers: dict[str, object] = {**answers_totalling(PHQ9, 0), **bad}
    if not bad:
        del answers["item9"]
    with pytest.raises(ValidationError):
        PHQ9.score(answers)


def test_cssrs_source_says_verify_locally() -> None:
    assert "verify locally" in CSSRS_SCREENER.source
