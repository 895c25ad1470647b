"""Rating instruments, defined once as data: items with their published wording, options, scoring,
bands, source and version. Intake uses PHQ-9, GAD-7, PCL-5 and the C-SSRS screener; MADRS, MOAA/S
and CADSS-6 are here for the dosing and follow-up measures. Figures: CLINICAL.md, "Instruments".

A stored response keeps the instrument's key and version, so a later wording change never
silently re-scores old answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    options: tuple[Option, ...]
    # The key of an earlier yes/no item that must be answered "yes" for this one to be asked.
    asked_when_yes: str = ""

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: int
    high: int

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class Score:
    """The result of scoring: the total (None for triage instruments) and its band."""

    total: int | None
    band: Band


Scorer = Callable[["Instrument", Mapping[str, int], int | None], Score]


def _sum_scorer(instrument: Instrument, answers: Mapping[str, int], cut_point: int | None) -> Score:
    total = sum(answers[item.key] for item in instrument.items)
    return Score(total=total, band=instrument.band_for(total, cut_point=cut_point))


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    version: str
    source: str
    instructions: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...] = ()
    clinician_rated: bool = False
    # For instruments whose bands are a single cut-point that the clinic sets (PCL-5).
    cut_point_default: int | None = None
    scorer: Scorer = field(default=_sum_scorer, compare=False, repr=False)

    @property
    def max_total(self) -> int:
        return sum(max(item.values) for item in self.items)

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def asked_items(self, answers: Mapping[str, int]) -> list[Item]:
        """The items asked, given the answers so far (conditional items follow a "yes")."""
        return [
            item
            for item in self.items
            if not item.asked_when_yes or answers.get(item.asked_when_yes) == 1
        ]

    def bands_for(self, *, cut_point: int | None = None) -> tuple[Band, ...]:
        if self.cut_point_default is None:
            return self.bands
        cut = self.cut_point_default if cut_point is None else cut_point
        return (
            Band("below_cut_point", "Below cut-point", 0, cut - 1),
            Band("probable", "Probable PTSD", cut, self.max_total),
        )

    def band_for(self, total: int, *, cut_point: int | None = None) -> Band:
        for band in self.bands_for(cut_point=cut_point):
            if band.contains(total):
                return band
        raise ValidationError(f"{self.name}: a total of {total} is outside every band.")

    def clean(self, answers: Mapping[str, object]) -> dict[str, int]:
        """Validated answers: every asked item present with one of its option values.

        Items that are not asked (a conditional item after a "no") are dropped.
        """
        cleaned: dict[str, int] = {}
        for item in self.items:
            if item.asked_when_yes and cleaned.get(item.asked_when_yes) != 1:
                continue
            value = answers.get(item.key)
            if value is None or value == "":
                raise ValidationError(f"{self.name}: item {item.key} is not answered.")
            try:
                number = int(str(value))
            except ValueError as error:
                raise ValidationError(f"{self.name}: item {item.key} is not a number.") from error
            if number not in item.values:
                raise ValidationError(f"{self.name}: item {item.key} is out of range.")
            cleaned[item.key] = number
        return cleaned

    def score(self, answers: Mapping[str, object], *, cut_point: int | None = None) -> Score:
        return self.scorer(self, self.clean(answers), cut_point)


def _options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in enumerate(labels))


FREQUENCY_2_WEEKS = _options(
    "Not at all", "Several days", "More than half the days", "Nearly every day"
)
PCL5_OPTIONS = _options("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")
YES_NO = (Option(0, "No"), Option(1, "Yes"))


def _items(prefix: str, texts: list[str], options: tuple[Option, ...]) -> tuple[Item, ...]:
    return tuple(Item(f"{prefix}{n}", text, options) for n, text in enumerate(texts, start=1))


PHQ9 = Instrument(
    key="phq9",
    name="PHQ-9",
    version="2001",
    source="Kroenke, Spitzer, Williams 2001 (CLINICAL.md)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=_items(
        "item",
        [
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your "
            "family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
            "being so fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ],
        FREQUENCY_2_WEEKS,
    ),
    bands=(
        Band("minimal", "Minimal", 0, 4),
        Band("mild", "Mild", 5, 9),
        Band("moderate", "Moderate", 10, 14),
        Band("moderately_severe", "Moderately severe", 15, 19),
        Band("severe", "Severe", 20, 27),
    ),
)
# PHQ-9 item 9 above 0 calls for the C-SSRS and a same-day clinician alert (CLINICAL.md).
PHQ9_SUICIDE_ITEM = "item9"

GAD7 = Instrument(
    key="gad7",
    name="GAD-7",
    version="2006",
    source="Spitzer et al. 2006 (CLINICAL.md)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    items=_items(
        "item",
        [
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ],
        FREQUENCY_2_WEEKS,
    ),
    bands=(
        Band("minimal", "Minimal", 0, 4),
        Band("mild", "Mild", 5, 9),
        Band("moderate", "Moderate", 10, 14),
        Band("severe", "Severe", 15, 21),
    ),
)

PCL5 = Instrument(
    key="pcl5",
    name="PCL-5",
    version="2013",
    source="Weathers et al. 2013, National Center for PTSD (CLINICAL.md)",
    instructions=(
        "Below is a list of problems that people sometimes have in response to a very stressful "
        "experience. In the past month, how much were you bothered by:"
    ),
    items=_items(
        "item",
        [
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "Repeated, disturbing dreams of the stressful experience?",
            "Suddenly feeling or acting as if the stressful experience were actually happening "
            "again (as if you were actually back there reliving it)?",
            "Feeling very upset when something reminded you of the stressful experience?",
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)?",
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "Avoiding external reminders of the stressful experience (for example, people, places, "
            "conversations, activities, objects, or situations)?",
            "Trouble remembering important parts of the stressful experience?",
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong with "
            "me, no one can be trusted, the world is completely dangerous)?",
            "Blaming yourself or someone else for the stressful experience or what happened after "
            "it?",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "Loss of interest in activities that you used to enjoy?",
            "Feeling distant or cut off from other people?",
            "Trouble experiencing positive feelings (for example, being unable to feel happiness "
            "or have loving feelings for people close to you)?",
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "Taking too many risks or doing things that could cause you harm?",
            'Being "superalert" or watchful or on guard?',
            "Feeling jumpy or easily startled?",
            "Having difficulty concentrating?",
            "Trouble falling or staying asleep?",
        ],
        PCL5_OPTIONS,
    ),
    # Probable PTSD at or above the cut-point: 31-33 published; the clinic's choice is policy.
    cut_point_default=33,
)


# C-SSRS triage bands; the instrument is scored by rule, not by a total.
CSSRS_NONE = Band("none", "No risk identified", 0, 0)
CSSRS_LOW = Band("low", "Low risk", 1, 1)
CSSRS_MODERATE = Band("moderate", "Moderate risk", 2, 2)
CSSRS_HIGH = Band("high", "High risk", 3, 3)


def _cssrs_scorer(
    instrument: Instrument, answers: Mapping[str, int], cut_point: int | None
) -> Score:
    """Columbia Protocol triage as CLINICAL.md gives it (verify locally)."""
    yes = {key for key, value in answers.items() if value == 1}
    if yes & {"q4", "q5"} or {"q6", "q6_past_3_months"} <= yes:
        band = CSSRS_HIGH
    elif "q3" in yes or "q6" in yes:
        band = CSSRS_MODERATE
    elif yes & {"q1", "q2"}:
        band = CSSRS_LOW
    else:
        band = CSSRS_NONE
    return Score(total=None, band=band)


CSSRS_SCREENER = Instrument(
    key="cssrs",
    name="C-SSRS screener",
    version="screen-recent",
    source=(
        "Posner et al. 2011 / Columbia Lighthouse Project; triage rule from CLINICAL.md "
        "(verify locally)"
    ),
    instructions="In the past month:",
    items=(
        Item(
            "q1",
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
            YES_NO,
        ),
        Item("q2", "Have you actually had any thoughts of killing yourself?", YES_NO),
        Item("q3", "Have you been thinking about how you might do this?", YES_NO, "q2"),
        Item(
            "q4",
            "Have you had these thoughts and had some intention of acting on them?",
            YES_NO,
            "q2",
        ),
        Item(
            "q5",
            "Have you started to work out or worked out the details of how to kill yourself? "
            "Do you intend to carry out this plan?",
            YES_NO,
            "q2",
        ),
        Item(
            "q6",
            "Have you ever done anything, started to do anything, or prepared to do anything to "
            "end your life?",
            YES_NO,
        ),
        Item("q6_past_3_months", "Was this within the past 3 months?", YES_NO, "q6"),
    ),
    bands=(CSSRS_NONE, CSSRS_LOW, CSSRS_MODERATE, CSSRS_HIGH),
    scorer=_cssrs_scorer,
)

MADRS = Instrument(
    key="madrs",
    name="MADRS",
    version="1979",
    source="Montgomery & Åsberg 1979 (CLINICAL.md)",
    instructions="Clinician-rated; rate each item from 0 to 6.",
    items=_items(
        "item",
        [
            "Apparent sadness",
            "Reported sadness",
            "Inner tension",
            "Reduced sleep",
            "Reduced appetite",
            "Concentration difficulties",
            "Lassitude",
            "Inability to feel",
            "Pessimistic thoughts",
            "Suicidal thoughts",
        ],
        _options("0", "1", "2", "3", "4", "5", "6"),
    ),
    bands=(
        Band("normal", "Normal", 0, 6),
        Band("mild", "Mild", 7, 19),
        Band("moderate", "Moderate", 20, 34),
        Band("severe", "Severe", 35, 60),
    ),
    clinician_rated=True,
)

MOAAS = Instrument(
    key="moaas",
    name="MOAA/S",
    version="1990",
    source="Chernik et al. 1990 (CLINICAL.md)",
    instructions="Clinician-rated responsiveness.",
    items=(
        Item(
            "level",
            "Responsiveness",
            (
                Option(0, "No response after painful trapezius squeeze"),
                Option(1, "Responds only after painful trapezius squeeze"),
                Option(2, "Responds only after mild prodding or shaking"),
                Option(3, "Responds only after name is called loudly and/or repeatedly"),
                Option(4, "Lethargic response to name spoken in normal tone"),
                Option(5, "Responds readily to name spoken in normal tone"),
            ),
        ),
    ),
    # A score of 3 or less counted as sedation in the esketamine trials (CLINICAL.md).
    bands=(Band("sedated", "Sedated", 0, 3), Band("not_sedated", "Not sedated", 4, 5)),
    clinician_rated=True,
)

CADSS6_OPTIONS = _options("Not at all", "Slightly", "Moderately", "Considerably", "Extremely")
CADSS6 = Instrument(
    key="cadss6",
    name="CADSS-6",
    version="unverified-1",
    # Item selection and wording are unverified (CLINICAL.md): a clinician must check them.
    source="Bremner et al. 1998; Rodrigues 2021; items 1, 2, 6, 7, 15, 22 (unverified)",
    instructions="During the session, did you experience the following?",
    items=(
        Item("item1", "Do things seem to be moving in slow motion?", CADSS6_OPTIONS),
        Item(
            "item2", "Do things seem to be unreal to you, as if you are in a dream?", CADSS6_OPTIONS
        ),
        Item(
            "item6",
            "Do you feel as if you are looking at things from outside of your body?",
            CADSS6_OPTIONS,
        ),
        Item(
            "item7",
            "Do you feel as if you are watching the situation as an observer?",
            CADSS6_OPTIONS,
        ),
        Item("item15", "Do you feel disconnected from your own body?", CADSS6_OPTIONS),
        Item(
            "item22", "Are there things happening that you later cannot remember?", CADSS6_OPTIONS
        ),
    ),
    bands=(Band("total", "Total", 0, 24),),
    clinician_rated=False,
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.key: instrument
    for instrument in (PHQ9, GAD7, PCL5, CSSRS_SCREENER, MADRS, MOAAS, CADSS6)
}


def instrument_get(key: str) -> Instrument:
    try:
        return INSTRUMENTS[key]
    except KeyError as error:
        raise ValidationError(f"No instrument named {key!r}.") from error
