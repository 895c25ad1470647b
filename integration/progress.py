"""A patient's "My progress": their own questionnaire scores over time, in plain words.

Built on the outcome helpers (scores per instrument, the trend chart, the clinic's PCL-5
cut-point) in a fixed number of queries; shown on the portal home as a landing panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from intake.instruments import GAD7, INSTRUMENTS, PCL5, PHQ9
from intake.models import ClinicPolicy, Patient
from integration.outcomes import scores_of_patients
from integration.trends import Band, Score, trend_svg

# The questionnaires a patient answers themself (MADRS is the clinician's rating).
PATIENT_REPORTED = (PHQ9.key, GAD7.key, PCL5.key)
# Scores listed under each chart, newest first.
SCORES_LISTED = 6

# What each questionnaire asks about, in the patient's words.
MEASURES: dict[str, str] = {
    PHQ9.key: "how low or down you have felt over the past two weeks",
    GAD7.key: "how anxious or worried you have felt over the past two weeks",
    PCL5.key: "how much a stressful experience has troubled you over the past month",
}

# Each band in plain words (the bands and their numbers are the published ones, CLINICAL.md).
PLAIN_BANDS: dict[str, str] = {
    "minimal": "few or no symptoms",
    "mild": "mild symptoms",
    "moderate": "moderate symptoms",
    "moderately_severe": "quite strong symptoms",
    "severe": "strong symptoms",
    "below_cut_point": "below the level that suggests PTSD",
    "probable": "at a level that suggests PTSD; your clinician will talk it through with you",
}


@dataclass(frozen=True)
class PlainBand:
    low: int
    high: int
    words: str


@dataclass(frozen=True)
class ScoreRow:
    score: Score
    band_words: str


@dataclass(frozen=True)
class Progress:
    instrument_key: str
    name: str
    measures: str
    maximum: int
    latest: ScoreRow
    change: int | None  # latest minus first; None with one score
    rows: list[ScoreRow]
    bands: list[PlainBand]
    svg: SafeString

    @property
    def change_size(self) -> int:
        return abs(self.change or 0)


def _band_words(key: str, total: int, cut_point: int | None) -> str:
    band = INSTRUMENTS[key].band_for(total, cut_point=cut_point)
    return PLAIN_BANDS.get(band.key, band.label.lower())


def patient_progress(patient: Patient) -> list[Progress]:
    """The patient's scores per questionnaire they answered (two queries), dates in their zone."""
    zone = ZoneInfo(patient.time_zone or settings.TIME_ZONE)
    scores = scores_of_patients([patient.pk], PATIENT_REPORTED).get(patient.pk, {})
    if not any(scores.get(key) for key in PATIENT_REPORTED):
        return []
    cut = ClinicPolicy.get().pcl5_cut_point
    progress: list[Progress] = []
    for key in PATIENT_REPORTED:
        found = sorted(scores.get(key, []), key=lambda score: score.taken_at)
        if not found:
            continue
        instrument = INSTRUMENTS[key]
        cut_point = cut if key == PCL5.key else None
        bands = instrument.bands_for(cut_point=cut_point)
        rows = [
            ScoreRow(score, _band_words(key, score.value, cut_point)) for score in reversed(found)
        ]
        svg = trend_svg(
            title=f"Your {instrument.name} scores over time",
            scores=found,
            maximum=instrument.max_total,
            bands=[Band(band.low, band.high, band.label) for band in bands],
            time_zone_label=str(zone).replace("_", " "),
            zone=zone,
        )
        progress.append(
            Progress(
                instrument_key=key,
                name=instrument.name,
                measures=MEASURES[key],
                maximum=instrument.max_total,
                latest=rows[0],
                change=found[-1].value - found[0].value if len(found) > 1 else None,
                rows=rows[:SCORES_LISTED],
                bands=[
                    PlainBand(band.low, band.high, PLAIN_BANDS.get(band.key, band.label.lower()))
                    for band in bands
                ],
                svg=mark_safe(svg),  # noqa: S308  (trend_svg escapes every text it draws)
            )
        )
    return progress
