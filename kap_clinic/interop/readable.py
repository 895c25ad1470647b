"""A readable summary of FHIR resources, for the patient's printable record page.

Built from the FHIR resources themselves, so every app's data appears without this package
importing any app.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from kap_clinic.interop.registry import Resource

SECTION_TITLES = {
    "Condition": "Diagnoses",
    "Consent": "Consents signed",
    "CarePlan": "Treatment course",
    "Appointment": "Appointments",
    "Encounter": "Visits",
    "MedicationAdministration": "Medicines given",
    "Observation": "Measurements and scores",
    "QuestionnaireResponse": "Questionnaires answered",
    "AdverseEvent": "Side effects and adverse events",
    "DocumentReference": "Signed notes",
}


@dataclass(frozen=True)
class Line:
    when: datetime | None
    title: str
    detail: str


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        return None
    return moment


def _concept(concept: dict[str, Any] | None) -> str:
    if not concept:
        return ""
    if concept.get("text"):
        return str(concept["text"])
    codings = concept.get("coding") or [{}]
    return str(codings[0].get("display") or codings[0].get("code") or "")


def _quantity(quantity: dict[str, Any] | None) -> str:
    if not quantity:
        return ""
    value = quantity.get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {quantity.get('unit', '')}".strip()


def line_for(resource: Resource) -> Line:
    kind = resource["resourceType"]
    if kind == "Observation":
        if "component" in resource and resource["code"]["coding"][0]["code"] == "85354-9":
            systolic, diastolic = (c["valueQuantity"]["value"] for c in resource["component"])
            detail = f"{systolic}/{diastolic} mmHg"
        elif "component" in resource:
            detail = ", ".join(
                f"{c['code']['text']}: {c['valueInteger']}" for c in resource["component"]
            )
        else:
            detail = _quantity(resource.get("valueQuantity"))
            interpretation = resource.get("interpretation")
            if interpretation:
                detail += f" ({interpretation[0]['text']})"
        return Line(_when(resource.get("effectiveDateTime")), _concept(resource["code"]), detail)
    if kind == "MedicationAdministration":
        medicine = resource["contained"][0]
        detail = f"{_quantity(resource['dosage']['dose'])}, {_concept(resource['dosage']['route'])}"
        detail += f", lot {medicine['batch']['lotNumber']}"
        return Line(_when(resource["effectivePeriod"]["start"]), _concept(medicine["code"]), detail)
    if kind == "Appointment":
        return Line(
            _when(resource["start"]), resource.get("description", "Appointment"), resource["status"]
        )
    if kind == "Encounter":
        return Line(_when(resource["period"]["start"]), _concept(resource["type"][0]), "visit")
    if kind == "Condition":
        return Line(
            _when(resource.get("recordedDate")), _concept(resource["code"]), "working diagnosis"
        )
    if kind == "Consent":
        return Line(
            _when(resource.get("dateTime")), resource["sourceAttachment"]["title"], "signed"
        )
    if kind == "CarePlan":
        return Line(None, resource.get("title", "Course"), resource.get("description", ""))
    if kind == "QuestionnaireResponse":
        name = resource.get("questionnaire", "").split("|")[0].rsplit(":", 1)[-1]
        answers = len(resource.get("item", []))
        return Line(_when(resource.get("authored")), f"Questionnaire {name}", f"{answers} answers")
    if kind == "AdverseEvent":
        return Line(
            _when(resource.get("date")),
            _concept(resource["event"]),
            _concept(resource.get("severity")) + " — " + _concept(resource.get("outcome")),
        )
    if kind == "DocumentReference":
        attachment = resource["content"][0]["attachment"]
        text = base64.b64decode(attachment.get("data", "")).decode("utf-8", "replace")
        return Line(_when(resource.get("date")), attachment.get("title", "Note"), text)
    return Line(None, kind, "")


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]


def readable_record(resources: list[Resource]) -> tuple[Resource | None, list[Section]]:
    """The Patient resource and one section per clinical resource type, oldest first."""
    patient = next((r for r in resources if r["resourceType"] == "Patient"), None)
    sections = []
    for kind, title in SECTION_TITLES.items():
        lines = [line_for(r) for r in resources if r["resourceType"] == kind]
        if lines:
            lines.sort(key=lambda line: (line.when is None, line.when or timezone.now()))
            sections.append(Section(title, lines))
    return patient, sections
