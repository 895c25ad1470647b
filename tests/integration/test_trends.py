"""The trend chart is accessible SVG with bands, doses and course boundaries."""

from datetime import UTC, datetime
from xml.etree import ElementTree

from integration.trends import Band, CourseSpan, Score, trend_svg

FIRST_DOSE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _at(day: int, value: int) -> Score:
    return Score(datetime(2026, 3, day, 8, 0, tzinfo=UTC), value)


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


def test_the_trend_marks_each_courses_boundaries() -> None:
    spans = [
        CourseSpan(
            "Oral & IM from 2026-03-10",
            datetime(2026, 2, 8, tzinfo=UTC),
            FIRST_DOSE,
            datetime(2026, 6, 8, tzinfo=UTC),
        ),
        CourseSpan(
            "IV from 2026-09-01",
            datetime(2026, 8, 2, tzinfo=UTC),
            datetime(2026, 9, 1, tzinfo=UTC),
            datetime(2026, 11, 30, tzinfo=UTC),
        ),
    ]
    svg = trend_svg(title="PHQ-9", scores=[_at(9, 18)], maximum=27, bands=[], courses=spans)
    root = ElementTree.fromstring(svg)
    assert len(root.findall(f"{SVG}rect[@class='course-span']")) == 2
    assert len(root.findall(f"{SVG}line[@class='course-start']")) == 2
    titles = [line.findtext(f"{SVG}title") for line in root.findall(f"{SVG}line")]
    assert "IV from 2026-09-01 first dose 2026-09-01" in titles
    assert "IV from 2026-09-01: baseline from 2026-08-02" in (root.findtext(f"{SVG}desc") or "")
