"""Baseline, response and remission against hand-computed cases; the chart is accessible SVG."""

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from integration.trends import Band, Score, baseline_score, outcome, trend_svg

FIRST_DOSE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _at(day: int, value: int) -> Score:
    return Score(datetime(2026, 3, day, 8, 0, tzinfo=UTC), value)


def test_the_baseline_is_the_last_score_before_the_first_dose() -> None:
    scores = [_at(1, 22), _at(9, 20), _at(10, 18), _at(17, 9)]  # day 10 08:00 is before 09:00
    assert baseline_score(scores, first_dose_at=FIRST_DOSE) == _at(10, 18)
    assert baseline_score([_at(11, 5)], first_dose_at=FIRST_DOSE) is None


@pytest.mark.parametrize(
    ("baseline", "latest", "response", "remission"),
    [
        (20, 10, True, False),  # exactly 50% fall: response
        (20, 11, False, False),  # 45% fall: no response
        (9, 4, True, True),  # 56% fall and PHQ-9 < 5
        (6, 5, False, False),  # 5 is not below 5
        (8, 4, True, True),
        (0, 0, False, True),  # no fall is possible from 0; remission still holds
    ],
)
def test_response_and_remission_on_the_phq9(
    baseline: int, latest: int, response: bool, remission: bool
) -> None:
    result = outcome(
        [_at(9, baseline), _at(24, latest)], instrument="phq9", first_dose_at=FIRST_DOSE
    )
    assert (result.response, result.remission) == (response, remission)
    assert result.change == latest - baseline


def test_remission_is_not_defined_for_gad7_and_nothing_counts_before_a_dose() -> None:
    gad = outcome([_at(9, 16), _at(24, 2)], instrument="gad7", first_dose_at=FIRST_DOSE)
    assert (gad.response, gad.remission) == (True, False)
    not_started = outcome([_at(9, 16)], instrument="phq9", first_dose_at=None)
    assert (not_started.baseline, not_started.latest) == (_at(9, 16), None)
    assert not not_started.response


def test_the_trend_is_an_svg_image_with_a_title_description_bands_points_and_doses() -> None:
    svg = trend_svg(
        title="PHQ-9 <over time>",
        scores=[_at(9, 18), _at(17, 9), _at(24, 4)],
        maximum=27,
        bands=[Band(0, 4, "Minimal"), Band(5, 9, "Mild"), Band(10, 14, "Moderate")],
        doses=[FIRST_DOSE],
    )
    root = ElementTree.fromstring(svg)  # well-formed XML, with the title escaped
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "PHQ-9 <over time>"
    description = root.findtext(f"{SVG}desc") or ""
    assert "2026-03-09: 18; 2026-03-17: 9; 2026-03-24: 4" in description
    assert "Dosing sessions: 2026-03-10" in description
    assert len(root.findall(f"{SVG}rect")) == 3
    assert len(root.findall(f"{SVG}circle")) == 3
    assert len(root.findall(f"{SVG}line")) == 1
    assert "style=" not in svg  # colours come from CSS: the CSP forbids inline styles


def test_an_empty_trend_says_so() -> None:
    root = ElementTree.fromstring(trend_svg(title="GAD-7", scores=[], maximum=21, bands=[]))
    assert "No scores yet." in ElementTree.tostring(root, encoding="unicode")
