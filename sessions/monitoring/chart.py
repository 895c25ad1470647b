"""The blood pressure and heart-rate chart of one session, drawn on the server as SVG."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sessions.models import DosingPolicy, VitalsEntry

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 740, 16, 236
LOW, HIGH = 30, 230  # mmHg and beats per minute share the axis
SYSTOLIC_COLOUR, DIASTOLIC_COLOUR, HEART_RATE_COLOUR = "#b02a37", "#0a58ca", "#146c43"


def _y(value: float) -> float:
    value = max(LOW, min(HIGH, value))
    return round(BOTTOM - (value - LOW) / (HIGH - LOW) * (BOTTOM - TOP), 1)


def vitals_chart_svg(
    entries: Sequence[VitalsEntry],
    *,
    dosed_at: datetime | None,
    baseline_systolic: int | None,
    policy: DosingPolicy,
    time_zone: str,
) -> str:
    """Systolic (down-pointing marks) and diastolic (up-pointing) joined per reading, heart rate
    as a line, the dose and the alert limits marked. Every text is escaped."""
    zone = ZoneInfo(time_zone)
    moments = [entry.taken_at for entry in entries] + ([dosed_at] if dosed_at else [])
    if not moments:
        return ""
    start = min(moments) - timedelta(minutes=2)
    end = max(max(moments) + timedelta(minutes=2), start + timedelta(minutes=30))
    span = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() / span * (RIGHT - LEFT), 1)

    latest = entries[-1] if entries else None
    summary = (
        f"Latest BP {latest.blood_pressure_systolic}/{latest.blood_pressure_diastolic} mmHg, "
        f"heart rate {latest.heart_rate} at {latest.taken_at.astimezone(zone):%H:%M}."
        if latest
        else "No vitals yet."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="vitals-chart-title vitals-chart-desc" class="vitals-chart">',
        '<title id="vitals-chart-title">Blood pressure and heart rate this session</title>',
        f'<desc id="vitals-chart-desc">{escape(summary)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{BOTTOM - TOP}" '
        'fill="#fff" stroke="#adb5bd"/>',
    ]
    for value in range(40, HIGH + 1, 40):
        parts.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{_y(value)}" y2="{_y(value)}" stroke="#e9ecef"/>'
            f'<text x="{LEFT - 6}" y="{_y(value) + 4}" text-anchor="end" font-size="11">'
            f"{value}</text>"
        )
    limits = [(policy.alert_systolic_at_or_above, f"{policy.alert_systolic_at_or_above} limit")]
    if baseline_systolic is not None:
        limits.append((baseline_systolic, f"baseline {baseline_systolic}"))
        rise = baseline_systolic + policy.alert_systolic_rise
        limits.append((rise, f"baseline +{policy.alert_systolic_rise}"))
    for value, label in limits:
        colour = "#6c757d" if label.startswith("baseline ") and "+" not in label else "#dc3545"
        parts.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{_y(value)}" y2="{_y(value)}" stroke="{colour}" '
            'stroke-dasharray="6 4"/>'
            f'<text x="{RIGHT - 4}" y="{_y(value) - 3}" text-anchor="end" font-size="11" '
            f'fill="{colour}">{escape(label)}</text>'
        )
    if dosed_at:
        parts.append(
            f'<line x1="{x(dosed_at)}" x2="{x(dosed_at)}" y1="{TOP}" y2="{BOTTOM}" '
            'stroke="#6f42c1" stroke-width="2"/>'
            f'<text x="{x(dosed_at) + 4}" y="{TOP + 12}" font-size="11" fill="#6f42c1">Dose</text>'
        )
    heart_points = []
    for entry in entries:
        cx = x(entry.taken_at)
        top, bottom = _y(entry.blood_pressure_systolic), _y(entry.blood_pressure_diastolic)
        parts.append(
            f'<line x1="{cx}" x2="{cx}" y1="{top}" y2="{bottom}" stroke="#495057"/>'
            f'<path d="M{cx - 5} {top - 6} L{cx + 5} {top - 6} L{cx} {top} Z" '
            f'fill="{SYSTOLIC_COLOUR}"/>'
            f'<path d="M{cx - 5} {bottom + 6} L{cx + 5} {bottom + 6} L{cx} {bottom} Z" '
            f'fill="{DIASTOLIC_COLOUR}"/>'
        )
        heart_points.append(f"{cx},{_y(entry.heart_rate)}")
    if heart_points:
        parts.append(
            f'<polyline points="{" ".join(heart_points)}" fill="none" '
            f'stroke="{HEART_RATE_COLOUR}" stroke-width="2"/>'
        )
        parts.extend(
            f'<circle cx="{point.split(",")[0]}" cy="{point.split(",")[1]}" r="3" '
            f'fill="{HEART_RATE_COLOUR}"/>'
            for point in heart_points
        )
    last_label = -1000.0
    for entry in entries:
        label_x = x(entry.taken_at)
        if label_x - last_label < 40:  # readings close together share one time label
            continue
        last_label = label_x
        parts.append(
            f'<text x="{label_x}" y="{BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11">{entry.taken_at.astimezone(zone):%H:%M}</text>'
        )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="12">'
        f'<tspan fill="{SYSTOLIC_COLOUR}">▼ systolic</tspan>  '
        f'<tspan fill="{DIASTOLIC_COLOUR}">▲ diastolic</tspan>  '
        f'<tspan fill="{HEART_RATE_COLOUR}">● heart rate</tspan>  '
        f'<tspan fill="#6c757d">(mmHg / beats per minute, times in {escape(time_zone)})</tspan>'
        "</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
