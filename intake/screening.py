"""Screening rules: a submitted intake's answers in, findings out, each with its evidence.

Exclusions and review triggers come from CLINICAL.md ("Exclusions and review triggers"); the
ones it marks as policy take their severity from ClinicPolicy. A rule is a small function that
returns the findings it draws; `screen` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from intake.instruments import CSSRS_SCREENER, INSTRUMENTS, PCL5, PHQ9, PHQ9_SUICIDE_ITEM, Score
from intake.medications import review_classes_for
from intake.models import ClinicPolicy, FindingSeverity

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class FindingSpec:
    severity: str
    code: str
    message: str
    evidence: list[dict[str, str]] = field(default_factory=list)
    is_safety: bool = False


@dataclass(frozen=True)
class Context:
    answers: Answers
    scores: Mapping[str, Score]
    policy: ClinicPolicy

    def value(self, step: str, name: str) -> Any:
        return (self.answers.get(step) or {}).get(name)

    def yes(self, step: str, name: str) -> bool:
        return self.value(step, name) == "yes"


@cache
def _labels(step_key: str) -> dict[str, str]:
    from intake.wizard import step_get

    step = step_get(step_key)
    if step is None or step.form_class is None:
        return {}
    return {name: str(field.label) for name, field in step.form_class().fields.items()}


def evidence(ctx: Context, step: str, *names: str) -> list[dict[str, str]]:
    """The questions and the patient's answers a finding came from."""
    rows = []
    instrument = INSTRUMENTS.get(step)
    for name in names:
        value = ctx.value(step, name)
        if instrument is not None:
            item = instrument.item(name)
            question = f"{instrument.name}: {item.text}"
            answer = next((o.label for o in item.options if o.value == value), str(value))
            rows.append({"question": question, "answer": f"{answer} ({value})"})
        else:
            question = _labels(step).get(name, name)
            rows.append({"question": question, "answer": str(value)})
    return rows


Rule = Callable[[Context], list[FindingSpec]]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


# --- absolute exclusions (esketamine label, CLINICAL.md) ------------------------------------------
_ABSOLUTE = [
    ("aneurysm", "Aneurysmal vascular disease"),
    ("arteriovenous_malformation", "Arteriovenous malformation"),
    ("intracerebral_haemorrhage", "History of intracerebral haemorrhage"),
    ("ketamine_allergy", "Hypersensitivity to ketamine or esketamine"),
]


@rule
def absolute_exclusions(ctx: Context) -> list[FindingSpec]:
    return [
        FindingSpec(
            FindingSeverity.EXCLUDE,
            f"absolute_{name}",
            f"{message}: contraindication on the esketamine label.",
            evidence(ctx, "medical", name),
        )
        for name, message in _ABSOLUTE
        if ctx.yes("medical", name)
    ]


# --- exclusion or physician review, by clinic policy (CLINICAL.md) --------------------------------


def _policy_finding(
    ctx: Context, action: str, code: str, message: str, step: str, *names: str
) -> FindingSpec:
    return FindingSpec(str(action), code, message, evidence(ctx, step, *names))


@rule
def psychotic_disorder(ctx: Context) -> list[FindingSpec]:
    if not ctx.yes("psychiatric", "psychotic_disorder"):
        return []
    return [
        _policy_finding(
            ctx,
            ctx.policy.psychosis_action,
            "psychotic_disorder",
            "Primary psychotic disorder reported.",
            "psychiatric",
            "psychotic_disorder",
        )
    ]


@rule
def current_mania(ctx: Context) -> list[FindingSpec]:
    if not ctx.yes("psychiatric", "mania_current"):
        return []
    return [
        _policy_finding(
            ctx,
            ctx.policy.mania_action,
            "current_mania",
            "Current manic, hypomanic or mixed episode reported.",
            "psychiatric",
            "mania_history",
            "mania_current",
        )
    ]


@rule
def uncontrolled_hypertension(ctx: Context) -> list[FindingSpec]:
    if not ctx.yes("medical", "hypertension"):
        return []
    if ctx.value("medical", "hypertension_controlled") == "yes":
        return [
            FindingSpec(
                FindingSeverity.NOTE,
                "controlled_hypertension",
                "Hypertension, reported as controlled: check blood pressure before dosing.",
                evidence(ctx, "medical", "hypertension", "hypertension_controlled"),
            )
        ]
    return [
        _policy_finding(
            ctx,
            ctx.policy.uncontrolled_hypertension_action,
            "uncontrolled_hypertension",
            "Hypertension that is not controlled.",
            "medical",
            "hypertension",
            "hypertension_controlled",
        )
    ]


_POLICY_CONDITIONS = [
    ("heart_disease", "cardiac_disease_action", "Significant cardiac disease reported."),
    ("liver_disease", "liver_disease_action", "Liver disease reported: check severity."),
    ("intracranial_pressure", "intracranial_pressure_action", "Raised intracranial pressure."),
    ("ketamine_cystitis", "ketamine_cystitis_action", "History of ketamine-associated cystitis."),
]


@rule
def policy_conditions(ctx: Context) -> list[FindingSpec]:
    return [
        _policy_finding(ctx, getattr(ctx.policy, action), name, message, "medical", name)
        for name, action, message in _POLICY_CONDITIONS
        if ctx.yes("medical", name)
    ]


@rule
def uncontrolled_hyperthyroidism(ctx: Context) -> list[FindingSpec]:
    if not ctx.yes("medical", "overactive_thyroid") or ctx.yes("medical", "thyroid_controlled"):
        return []
    return [
        _policy_finding(
            ctx,
            ctx.policy.hyperthyroidism_action,
            "uncontrolled_hyperthyroidism",
            "Overactive thyroid that is not controlled.",
            "medical",
            "overactive_thyroid",
            "thyroid_controlled",
        )
    ]


@rule
def pregnancy_or_breastfeeding(ctx: Context) -> list[FindingSpec]:
    names = [name for name in ("pregnant", "breastfeeding") if ctx.yes("medical", name)]
    if not names:
        return []
    return [
        _policy_finding(
            ctx,
            ctx.policy.pregnancy_action,
            "pregnancy_or_breastfeeding",
            "Pregnant or breastfeeding.",
            "medical",
            *names,
        )
    ]


# Substances whose misuse makes "active substance use disorder" (ketamine especially).
_HIGH_RISK_SUBSTANCES = {"ketamine": "Ketamine", "stimulants": "Stimulant", "opioids": "Opioid"}


@rule
def substance_use(ctx: Context) -> list[FindingSpec]:
    findings = []
    for key, label in _HIGH_RISK_SUBSTANCES.items():
        use = ctx.value("substances", f"{key}_use")
        months = ctx.value("substances", f"{key}_months_since")
        if use == "current":
            findings.append(
                _policy_finding(
                    ctx,
                    ctx.policy.substance_use_action,
                    f"substance_current_{key}",
                    f"{label} use now: possible active substance use disorder.",
                    "substances",
                    f"{key}_use",
                )
            )
        # CLINICAL.md: some programmes accept >= 1 year abstinence (policy months).
        elif (
            use == "past" and months is not None and months < ctx.policy.substance_abstinence_months
        ):
            findings.append(
                FindingSpec(
                    FindingSeverity.REVIEW,
                    f"substance_recent_{key}",
                    f"{label} use {months} months ago, within the clinic's abstinence period "
                    f"of {ctx.policy.substance_abstinence_months} months.",
                    evidence(ctx, "substances", f"{key}_use", f"{key}_months_since"),
                )
            )
    for key in ("alcohol", "cannabis", "psychedelics"):
        if ctx.value("substances", f"{key}_use") == "current":
            findings.append(
                FindingSpec(
                    FindingSeverity.NOTE,
                    f"substance_current_{key}",
                    "Current use reported: discuss during preparation.",
                    evidence(ctx, "substances", f"{key}_use"),
                )
            )
    return findings


# --- review and notes -----------------------------------------------------------------------------
_REVIEW_ANSWERS = [
    ("medical", "arrhythmia", FindingSeverity.REVIEW, "Irregular heartbeat reported."),
    ("medical", "seizures", FindingSeverity.REVIEW, "History of seizures."),
    ("medical", "planning_pregnancy", FindingSeverity.REVIEW, "Planning a pregnancy."),
    ("medical", "respiratory_disease", FindingSeverity.NOTE, "Lung or breathing condition."),
    ("medical", "kidney_disease", FindingSeverity.NOTE, "Kidney disease reported."),
    ("medical", "bladder_problems", FindingSeverity.NOTE, "Bladder problems reported."),
    ("psychiatric", "psychosis_history", FindingSeverity.REVIEW, "Past psychotic experiences."),
    ("psychiatric", "suicide_attempts", FindingSeverity.REVIEW, "Past suicide attempt."),
    ("psychiatric", "self_harm", FindingSeverity.NOTE, "Past self-harm."),
]


@rule
def review_answers(ctx: Context) -> list[FindingSpec]:
    return [
        FindingSpec(severity, name, message, evidence(ctx, step, name))
        for step, name, severity, message in _REVIEW_ANSWERS
        if ctx.yes(step, name)
    ]


@rule
def mania_history_not_current(ctx: Context) -> list[FindingSpec]:
    if not ctx.yes("psychiatric", "mania_history") or ctx.yes("psychiatric", "mania_current"):
        return []
    return [
        FindingSpec(
            FindingSeverity.NOTE,
            "mania_history",
            "Past mania or hypomania, not current (bipolar disorder when not manic).",
            evidence(ctx, "psychiatric", "mania_history", "mania_current"),
        )
    ]


@rule
def medication_review(ctx: Context) -> list[FindingSpec]:
    """CLINICAL.md "Medication review": one finding per review class, listing the medications."""
    matched: dict[str, tuple[str, list[dict[str, str]]]] = {}
    for row in (ctx.answers.get("medications") or {}).get("medications", []):
        for review_class in review_classes_for(row["name"]):
            _, rows = matched.setdefault(review_class.key, (review_class.label, []))
            rows.append(
                {
                    "question": "Current medication",
                    "answer": f"{row['name']} {row['dose']}, {row['frequency']}"
                    f" ({review_class.why})",
                }
            )
    return [
        FindingSpec(
            FindingSeverity.REVIEW, f"medication_{key}", f"{label} in current medications.", rows
        )
        for key, (label, rows) in matched.items()
    ]


# --- instruments ----------------------------------------------------------------------------------


@rule
def phq9_item9(ctx: Context) -> list[FindingSpec]:
    # CLINICAL.md: PHQ-9 item 9 > 0 -> suicide-risk follow-up and same-day clinician alert.
    value = ctx.value("phq9", PHQ9_SUICIDE_ITEM)
    if not value:
        return []
    return [
        FindingSpec(
            FindingSeverity.REVIEW,
            "phq9_item9",
            "PHQ-9 item 9 above 0: thoughts of death or self-harm. Same-day clinician contact.",
            evidence(ctx, PHQ9.key, PHQ9_SUICIDE_ITEM),
            is_safety=True,
        )
    ]


@rule
def cssrs_risk(ctx: Context) -> list[FindingSpec]:
    score = ctx.scores.get(CSSRS_SCREENER.key)
    if score is None or score.band.key == "none":
        return []
    answered = list((ctx.answers.get(CSSRS_SCREENER.key) or {}).keys())
    yes = [name for name in answered if ctx.value(CSSRS_SCREENER.key, name) == 1]
    safety = score.band.key in ("moderate", "high")
    return [
        FindingSpec(
            FindingSeverity.REVIEW if safety else FindingSeverity.NOTE,
            f"cssrs_{score.band.key}",
            f"C-SSRS screener: {score.band.label.lower()} (triage rule: verify locally).",
            evidence(ctx, CSSRS_SCREENER.key, *yes),
            is_safety=safety,
        )
    ]


@rule
def probable_ptsd(ctx: Context) -> list[FindingSpec]:
    score = ctx.scores.get(PCL5.key)
    if score is None or score.band.key != "probable":
        return []
    return [
        FindingSpec(
            FindingSeverity.NOTE,
            "pcl5_probable_ptsd",
            f"PCL-5 total {score.total}, at or above the clinic's cut-point of "
            f"{ctx.policy.pcl5_cut_point}: probable PTSD.",
            [{"question": "PCL-5 total", "answer": str(score.total)}],
        )
    ]


def screen(
    *, answers: Answers, scores: Mapping[str, Score], policy: ClinicPolicy
) -> list[FindingSpec]:
    ctx = Context(answers=answers, scores=scores, policy=policy)
    return [finding for rule_function in RULES for finding in rule_function(ctx)]
