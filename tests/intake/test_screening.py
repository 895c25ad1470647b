"""Each screening rule, firing and not firing, with its evidence (CLINICAL.md)."""

from __future__ import annotations

from typing import Any

import pytest

from intake.instruments import CSSRS_SCREENER, PCL5
from intake.models import ClinicPolicy, FindingAction
from intake.screening import FindingSpec, screen
from tests.intake.answers import complete_answers

pytestmark = pytest.mark.django_db


def findings_for(
    policy: ClinicPolicy | None = None, **steps: dict[str, Any]
) -> dict[str, FindingSpec]:
    answers = complete_answers(**steps)
    policy = policy or ClinicPolicy.get()
    scores = {
        PCL5.key: PCL5.score(answers["pcl5"], cut_point=policy.pcl5_cut_point),
    }
    if "cssrs" in answers:
        scores[CSSRS_SCREENER.key] = CSSRS_SCREENER.score(answers["cssrs"])
    return {
        finding.code: finding for finding in screen(answers=answers, scores=scores, policy=policy)
    }


def test_clean_answers_draw_no_findings() -> None:
    assert findings_for() == {}


@pytest.mark.parametrize(
    ("steps", "code", "severity"),
    [
        ({"medical": {"aneurysm": "yes"}}, "absolute_aneurysm", "exclude"),
        (
            {"medical": {"arteriovenous_malformation": "yes"}},
            "absolute_arteriovenous_malformation",
            "exclude",
        ),
        (
            {"medical": {"intracerebral_haemorrhage": "yes"}},
            "absolute_intracerebral_haemorrhage",
            "exclude",
        ),
        ({"medical": {"ketamine_allergy": "yes"}}, "absolute_ketamine_allergy", "exclude"),
        ({"psychiatric": {"psychotic_disorder": "yes"}}, "psychotic_disorder", "review"),
        (
            {"psychiatric": {"mania_history": "yes", "mania_current": "yes"}},
            "current_mania",
            "review",
        ),
        (
            {"medical": {"hypertension": "yes", "hypertension_controlled": "no"}},
            "uncontrolled_hypertension",
            "review",
        ),
        (
            {"medical": {"hypertension": "yes", "hypertension_controlled": "yes"}},
            "controlled_hypertension",
            "note",
        ),
        ({"medical": {"heart_disease": "yes"}}, "heart_disease", "review"),
        ({"medical": {"liver_disease": "yes"}}, "liver_disease", "review"),
        ({"medical": {"intracranial_pressure": "yes"}}, "intracranial_pressure", "review"),
        ({"medical": {"ketamine_cystitis": "yes"}}, "ketamine_cystitis", "review"),
        (
            {"medical": {"overactive_thyroid": "yes", "thyroid_controlled": "no"}},
            "uncontrolled_hyperthyroidism",
            "review",
        ),
        ({"medical": {"pregnant": "yes"}}, "pregnancy_or_breastfeeding", "review"),
        ({"medical": {"breastfeeding": "yes"}}, "pregnancy_or_breastfeeding", "review"),
        ({"substances": {"ketamine_use": "current"}}, "substance_current_ketamine", "review"),
        (
            {"substances": {"opioids_use": "past", "opioids_months_since": 11}},
            "substance_recent_opioids",
            "review",
        ),
        ({"substances": {"alcohol_use": "current"}}, "substance_current_alcohol", "note"),
        ({"medical": {"arrhythmia": "yes"}}, "arrhythmia", "review"),
        ({"medical": {"seizures": "yes"}}, "seizures", "review"),
        ({"psychiatric": {"suicide_attempts": "yes"}}, "suicide_attempts", "review"),
        ({"psychiatric": {"psychosis_history": "yes"}}, "psychosis_history", "review"),
        (
            {"psychiatric": {"mania_history": "yes", "mania_current": "no"}},
            "mania_history",
            "note",
        ),
        (
            {
                "medications": {
                    "medications": [{"name": "Lorazepam", "dose": "1 mg", "frequency": "nightly"}]
                }
            },
            "medication_benzodiazepine",
            "review",
        ),
        (
            {
                "medications": {
                    "medications": [{"name": "Lamictal", "dose": "100 mg", "frequency": "daily"}]
                }
            },
            "medication_lamotrigine",
            "review",
        ),
        ({"phq9": {"item9": 1}}, "phq9_item9", "review"),
        ({"pcl5": {f"item{n}": 2 for n in range(1, 18)}}, "pcl5_probable_ptsd", "note"),
    ],
)
def test_rule_fires_with_its_evidence(steps: dict[str, Any], code: str, severity: str) -> None:
    findings = findings_for(**steps)
    assert code in findings
    assert findings[code].severity == severity
    assert findings[code].evidence, "every finding shows the answers it came from"


@pytest.mark.parametrize(
    "steps",
    [
        {"medical": {"hypertension": "no"}},
        {"medical": {"overactive_thyroid": "yes", "thyroid_controlled": "yes"}},
        {"psychiatric": {"mania_history": "no"}},
        {"substances": {"opioids_use": "past", "opioids_months_since": 12}},
        {"substances": {"ketamine_use": "never"}},
        {
            "medications": {
                "medications": [{"name": "Sertraline", "dose": "50 mg", "frequency": "daily"}]
            }
        },
        {"phq9": {"item9": 0, "item1": 3}},
        {"pcl5": {f"item{n}": 2 for n in range(1, 17)} | {"item17": 0}},
    ],
)
def test_rules_do_not_fire_below_their_trigger(steps: dict[str, Any]) -> None:
    assert findings_for(**steps) == {}


def test_evidence_quotes_the_question_and_answer() -> None:
    finding = findings_for(medical={"aneurysm": "yes"})["absolute_aneurysm"]
    assert finding.evidence == [
        {
            "question": "Have you ever had an aneurysm (aorta, brain or other arteries)?",
            "answer": "yes",
        }
    ]


def test_policy_turns_a_review_into_an_exclusion() -> None:
    policy = ClinicPolicy.get()
    policy.psychosis_action = FindingAction.EXCLUDE
    policy.save()
    finding = findings_for(policy, psychiatric={"psychotic_disorder": "yes"})["psychotic_disorder"]
    assert finding.severity == "exclude"


def test_abstinence_months_come_from_policy() -> None:
    policy = ClinicPolicy.get()
    policy.substance_abstinence_months = 24
    policy.save()
    steps = {"substances": {"ketamine_use": "past", "ketamine_months_since": 18}}
    assert "substance_recent_ketamine" in findings_for(policy, **steps)


def test_pcl5_cut_point_comes_from_policy() -> None:
    policy = ClinicPolicy.get()
    policy.pcl5_cut_point = 31
    policy.save()
    # 31 = 15 items at 2 plus one at 1
    pcl5 = {f"item{n}": 2 for n in range(1, 16)} | {"item16": 1}
    assert "pcl5_probable_ptsd" in findings_for(policy, pcl5=pcl5)
    policy.pcl5_cut_point = 33
    assert "pcl5_probable_ptsd" not in findings_for(policy, pcl5=pcl5)


@pytest.mark.parametrize(
    ("cssrs", "code", "safety"),
    [
        ({"q1": 1, "q2": 0, "q6": 0}, "cssrs_low", False),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}, "cssrs_moderate", True),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 1, "q5": 0, "q6": 0}, "cssrs_high", True),
    ],
)
def test_cssrs_moderate_and_high_are_safety_findings(
    cssrs: dict[str, int], code: str, safety: bool
) -> None:
    findings = findings_for(phq9={"item9": 1}, cssrs=cssrs)
    assert findings[code].is_safety is safety
    assert findings["phq9_item9"].is_safety


def test_cssrs_all_no_draws_no_cssrs_finding() -> None:
    findings = findings_for(phq9={"item9": 1}, cssrs={"q1": 0, "q2": 0, "q6": 0})
    assert not [code for code in findings if code.startswith("cssrs")]
