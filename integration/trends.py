"""The trend chart as accessible SVG: bands shaded, doses and course boundaries marked.

Baselines, ends, response and remission are per course: see integration/episodes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape


@dataclass(frozen=True)
class Score:
    taken_at: datetime
    value: int


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class CourseSpan:
    """A course's windows on the chart: from its baseline window to the end of its follow-up."""

    label: str
    start: datetime
    first_dose: datetime
    end: datetime
    # Drawn on the chart (the full label is in its title and description): "Course 2".
    short_label: str = ""


# --- the chart ---------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40
BAND_CLASSES = ["band-0", "band-1", "band-2", "band-3", "band-4"]


def _x(moment: datetime, start: datetime, end: datetime) -> float:
    span = (end - start).total_seconds() or 1.0
    return LEFT + (moment - start).total_seconds() / span * (WIDTH - LEFT - RIGHT)


def _y(value: float, maximum: int) -> float:
    return TOP + (1 - value / maximum) * (HEIGHT - TOP - BOTTOM)


def trend_svg(
    *,
    title: str,
    scores: Sequence[Score],
    maximum: int,
    bands: Sequence[Band],
    doses: Sequence[datetime] = (),
    courses: Sequence[CourseSpan] = (),
    time_zone_label: str = "",
    zone: tzinfo | None = None,
) -> str:
    """An SVG line chart of one instrument: bands shaded, dosing sessions and courses marked.

    Accessible: role="img" with a title and a description listing every point, each point and
    dose marker with its own <title>; colours come from CSS classes (static/css/app.css).
    """
    if zone is not None:
        # Dates on the chart are the reader's: the clinic's zone, or the patient's own.
        scores = [Score(s.taken_at.astimezone(zone), s.value) for s in scores]
        doses = [dose.astimezone(zone) for dose in doses]
        courses = [
            CourseSpan(
                span.label,
                span.start.astimezone(zone),
                span.first_dose.astimezone(zone),
                span.end.astimezone(zone),
                span.short_label,
            )
            for span in courses
        ]
    ordered = sorted(scores, key=lambda s: s.taken_at)
    moments = [s.taken_at for s in ordered] + list(doses)
    moments += [moment for span in courses for moment in (span.start, span.end)]
    if not moments:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" '
            f'viewBox="0 0 {WIDTH} 60"><title>{escape(title)}</title>'
            f'<text x="8" y="32">No scores yet.</text></svg>'
        )
    start, end = min(moments), max(moments)
    points_text = "; ".join(f"{s.taken_at:%Y-%m-%d}: {s.value}" for s in ordered)
    description = f"{len(ordered)} scores out of {maximum}. {points_text}."
    if doses:
        description += " Dosing sessions: " + ", ".join(f"{d:%Y-%m-%d}" for d in doses) + "."
    for span in courses:
        description += (
            f" {span.label}: baseline from {span.start:%Y-%m-%d}, first dose "
            f"{span.first_dose:%Y-%m-%d}, follow-up to {span.end:%Y-%m-%d}."
        )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="trend-title trend-desc">',
        f'<title id="trend-title">{escape(title)}</title>',
        f'<desc id="trend-desc">{escape(description)}</desc>',
    ]
    for index, band in enumerate(bands):
        top, bottom = _y(min(band.high + 1, maximum), maximum), _y(band.low, maximum)
        parts.append(
            f'<rect class="{BAND_CLASSES[index % len(BAND_CLASSES)]}" x="{LEFT}" y="{top:.1f}" '
            f'width="{WIDTH - LEFT - RIGHT}" height="{bottom - top:.1f}">'
            f"<title>{escape(band.label)}: {band.low}–{band.high}</title></rect>"
        )
        parts.append(
            f'<text class="band-label" x="{WIDTH - RIGHT - 4}" y="{bottom - 4:.1f}" '
            f'text-anchor="end">{escape(band.label)}</text>'
        )
    for tick in range(0, maximum + 1, max(1, maximum // 4)):
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{_y(tick, maximum) + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    for span in courses:
        left, first, right = (_x(m, start, end) for m in (span.start, span.first_dose, span.end))
        parts.append(
            f'<rect class="course-span" x="{left:.1f}" y="{TOP}" width="{right - left:.1f}" '
            f'height="{HEIGHT - TOP - BOTTOM}"><title>{escape(span.label)}: '
            f"{span.start:%Y-%m-%d} to {span.end:%Y-%m-%d}</title></rect>"
            f'<line class="course-start" x1="{first:.1f}" x2="{first:.1f}" y1="{TOP}" '
            f'y2="{HEIGHT - BOTTOM}"><title>{escape(span.label)} first dose '
            f"{span.first_dose:%Y-%m-%d}</title></line>"
            f'<line class="course-end" x1="{right:.1f}" x2="{right:.1f}" y1="{TOP}" '
            f'y2="{HEIGHT - BOTTOM}"><title>{escape(span.label)} end of follow-up '
            f"{span.end:%Y-%m-%d}</title></line>"
            f'<text class="course-label" x="{first + 3:.1f}" y="{TOP + 12}">'
            f"{escape(span.short_label or span.label)}</text>"
        )
    for dose in doses:
        x = _x(dose, start, end)
        parts.append(
            f'<line class="dose" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}">'
            f"<title>Dosing session {dose:%Y-%m-%d}</title></line>"
        )
    coordinates = [(_x(s.taken_at, start, end), _y(s.value, maximum)) for s in ordered]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline class="series" points="{path}"/>')
    for score, (x, y) in zip(ordered, coordinates, strict=True):
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{score.taken_at:%Y-%m-%d}: {score.value}</title></circle>"
        )
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 12}">{start:%Y-%m-%d}</text>'
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 12}" text-anchor="end">'
        f"{end:%Y-%m-%d}{(' ' + escape(time_zone_label)) if time_zone_label else ''}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
