"""Complete, valid intake answers (synthetic) in the stored per-step format, with overrides."""

from __future__ import annotations

import copy
from typing import Any

from intake import services
from intake.forms import MEDICAL_CONDITIONS, PROVIDER_KINDS, SUBSTANCES
from intake.models import IntakeForm, Patient

_BASE: dict[str, dict[str, Any]] = {
    "about": {
        "preferred_name": "",
        "sex_at_birth": "female",
        "gender": "",
        "mobile": "555-0100",
        "address": "1 Test Lane, Springfield",
        "emergency_contact_name": "Pat Example",
        "emergency_contact_relationship": "Sibling",
        "emergency_contact_phone": "555-0101",
        "reminder_channel": "email",
        "time_zone": "America/Chicago",
    },
    "providers": {
        **{f"has_{kind}": "no" for kind, _ in PROVIDER_KINDS},
        **{f"{kind}_name": "" for kind, _ in PROVIDER_KINDS},
        **{f"{kind}_contact": "" for kind, _ in PROVIDER_KINDS},
        "consent_to_coordinate": None,
    },
    "medical": {
        **{name: "no" for name, _ in MEDICAL_CONDITIONS},
        "hypertension_controlled": None,
        "thyroid_controlled": None,
        "allergy_details": "",
        "height_cm": 170,
        "weight_kg": "70.0",
    },
    "medications": {"medications": []},
    "substances": {
        **{f"{key}_use": "never" for key, _ in SUBSTANCES},
        **{f"{key}_months_since": None for key, _ in SUBSTANCES},
    },
    "psychiatric": {
        "diagnoses": "",
        "psychotic_disorder": "no",
        "psychosis_history": "no",
        "mania_history": "no",
        "mania_current": None,
        "hospitalisations": "no",
        "hospitalisation_details": "",
        "suicide_attempts": "no",
        "suicide_attempt_details": "",
        "self_harm": "no",
        "earlier_medications": "",
        "earlier_therapies": "",
        "ect_tms": "no",
        "prior_ketamine": "no",
        "prior_ketamine_response": "",
    },
    "goals": {"intentions": "Feel more present with my family.", "altered_states": ""},
    "phq9": {f"item{n}": 0 for n in range(1, 10)},
    "gad7": {f"item{n}": 0 for n in range(1, 8)},
    "pcl5": {f"item{n}": 0 for n in range(1, 21)},
}


def complete_answers(patient: Patient | None = None, **steps: dict[str, Any]) -> dict[str, Any]:
    """Answers where no rule fires; ``steps`` override fields step by step."""
    answers = copy.deepcopy(_BASE)
    for step, fields in steps.items():
        answers[step] = {**answers.get(step, {}), **fields}
    answers["consents"] = {
        "agree_treatment": True,
        "agree_communications": True,
        "agree_telehealth": True,
        "typed_name": patient.legal_name if patient else "Test Patient",
        "versions": {"treatment": 1, "communications": 1, "telehealth": 1},
    }
    return answers


def submitted_intake(patient: Patient, **steps: dict[str, Any]) -> IntakeForm:
    """Runs the patient's intake to submission through the services."""
    assert patient.user is not None
    intake = services.intake_start(patient=patient)
    IntakeForm.objects.filter(pk=intake.pk).update(answers=complete_answers(patient, **steps))
    intake.refresh_from_db()
    return services.intake_submit(intake=intake, by=patient.user, ip_address="10.0.0.1")
