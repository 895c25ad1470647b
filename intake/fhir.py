"""FHIR mapping of intake: Patient, QuestionnaireResponse (intake instruments), Consent, Condition
(working diagnoses) and the vital signs of the medical assessment; plus the vital-sign
Observation builders that sessions reuses (LOINC codes and UCUM units from CLINICAL.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from intake.models import (
    ClinicalAssessment,
    ConsentSignature,
    InstrumentResponse,
    MedicalAssessment,
    Patient,
    SexAtBirth,
)
from intake.selectors import intake_visible_q
from kap_clinic.accounts.access import care_team_q
from kap_clinic.accounts.models import User
from kap_clinic.interop.registry import (
    FhirSource,
    Resource,
    by_uuid,
    fhir_source_register,
    reference,
)
from kap_clinic.interop.search import (
    SearchError,
    date_filter,
    fixed_token,
    reference_filter,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_SIGNS = (OBSERVATION_CATEGORY, "vital-signs")
SURVEY = (OBSERVATION_CATEGORY, "survey")

# Vital signs (CLINICAL.md, Standards for records and exchange; body weight LOINC 29463-7).
BLOOD_PRESSURE_PANEL = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
OXYGEN_SATURATION = "59408-5"
# US Core Pulse Oximetry also carries the generic SpO2 code 2708-6 next to 59408-5.
OXYGEN_SATURATION_ARTERIAL = "2708-6"
BODY_WEIGHT = "29463-7"
RESPIRATORY_RATE = "9279-1"


def patient_reference(patient: Patient) -> dict[str, str]:
    return reference("Patient", patient)


def instant(moment: datetime) -> str:
    return moment.isoformat()


def quantity(value: int | Decimal, unit: str, code: str) -> dict[str, Any]:
    number: int | float = value if isinstance(value, int) else float(value)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def vital_observation(
    *,
    fhir_id: str,
    patient: Patient,
    when: datetime,
    kind: str,
    values: dict[str, Any],
    encounter: dict[str, str] | None = None,
) -> Resource:
    """A US Core vital-sign Observation. ``kind`` is blood_pressure, heart_rate,
    oxygen_saturation, body_weight or respiratory_rate; ``values`` holds its numbers."""
    resource: Resource = {
        "resourceType": "Observation",
        "id": fhir_id,
        "status": "final",
        "category": [{"coding": [_coding(*VITAL_SIGNS, "Vital Signs")], "text": "Vital Signs"}],
        "subject": patient_reference(patient),
        "effectiveDateTime": instant(when),
    }
    if encounter:
        resource["encounter"] = encounter
    if kind == "blood_pressure":
        resource["meta"] = {"profile": [US_CORE + "us-core-blood-pressure"]}
        resource["code"] = {
            "coding": [_coding(LOINC, BLOOD_PRESSURE_PANEL, "Blood pressure panel")],
            "text": "Blood pressure",
        }
        resource["component"] = [
            {
                "code": {"coding": [_coding(LOINC, SYSTOLIC, "Systolic blood pressure")]},
                "valueQuantity": quantity(values["systolic"], "mmHg", "mm[Hg]"),
            },
            {
                "code": {"coding": [_coding(LOINC, DIASTOLIC, "Diastolic blood pressure")]},
                "valueQuantity": quantity(values["diastolic"], "mmHg", "mm[Hg]"),
            },
        ]
        return resource
    profile, codes, text, value = {
        "heart_rate": (
            "us-core-heart-rate",
            [_coding(LOINC, HEART_RATE, "Heart rate")],
            "Heart rate",
            quantity(values.get("heart_rate", 0), "beats/minute", "/min"),
        ),
        "oxygen_saturation": (
            "us-core-pulse-oximetry",
            [
                _coding(LOINC, OXYGEN_SATURATION, "Oxygen saturation by pulse oximetry"),
                _coding(LOINC, OXYGEN_SATURATION_ARTERIAL, "Oxygen saturation in arterial blood"),
            ],
            "Oxygen saturation",
            quantity(values.get("spo2", 0), "%", "%"),
        ),
        "body_weight": (
            "us-core-body-weight",
            [_coding(LOINC, BODY_WEIGHT, "Body weight")],
            "Body weight",
            quantity(values.get("weight_kg", Decimal(0)), "kg", "kg"),
        ),
        "respiratory_rate": (
            "us-core-respiratory-rate",
            [_coding(LOINC, RESPIRATORY_RATE, "Respiratory rate")],
            "Respiratory rate",
            quantity(values.get("respiratory_rate", 0), "breaths/minute", "/min"),
        ),
    }[kind]
    resource["meta"] = {"profile": [US_CORE + profile]}
    resource["code"] = {"coding": codes, "text": text}
    resource["valueQuantity"] = value
    return resource


VITAL_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "blood_pressure": ((LOINC, BLOOD_PRESSURE_PANEL),),
    "heart_rate": ((LOINC, HEART_RATE),),
    "oxygen_saturation": ((LOINC, OXYGEN_SATURATION), (LOINC, OXYGEN_SATURATION_ARTERIAL)),
    "body_weight": ((LOINC, BODY_WEIGHT),),
    "respiratory_rate": ((LOINC, RESPIRATORY_RATE),),
}
VITAL_PROFILES = {
    "blood_pressure": US_CORE + "us-core-blood-pressure",
    "heart_rate": US_CORE + "us-core-heart-rate",
    "oxygen_saturation": US_CORE + "us-core-pulse-oximetry",
    "body_weight": US_CORE + "us-core-body-weight",
    "respiratory_rate": US_CORE + "us-core-respiratory-rate",
}


def split_id(fhir_id: str, prefix: str) -> tuple[uuid.UUID, str] | None:
    """``<prefix><uuid>.<rest>`` into the UUID and the rest, or None."""
    if not fhir_id.startswith(prefix):
        return None
    head, _, rest = fhir_id[len(prefix) :].partition(".")
    try:
        return uuid.UUID(head), rest
    except ValueError:
        return None


def clinical_rows(queryset: QuerySet[Any], user: User, patient_path: str = "patient__") -> Any:
    """Rows of the patients in ``user``'s care team (or the patient's own)."""
    return queryset.filter(care_team_q(user=user, patient_path=patient_path))


# --- Patient -------------------------------------------------------------------------------

_GENDER = {SexAtBirth.FEMALE: "female", SexAtBirth.MALE: "male", SexAtBirth.INTERSEX: "other"}


def patient_resource(patient: Patient) -> Resource:
    name: dict[str, Any] = {
        "use": "official",
        "family": patient.legal_last_name,
        "given": [patient.legal_first_name],
    }
    names = [name]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    telecom = [{"system": "email", "value": patient.email}]
    if patient.mobile:
        telecom.append({"system": "phone", "value": patient.mobile, "use": "mobile"})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.uuid),
        "meta": {"profile": [US_CORE + "us-core-patient"]},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{patient.uuid}"}],
        "active": True,
        "name": names,
        "telecom": telecom,
        "gender": _GENDER.get(patient.sex_at_birth, "unknown"),  # type: ignore[call-overload]
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {"name": {"text": patient.emergency_contact_name}}
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    care_team = [p for p in (patient.prescriber, patient.therapist) if p is not None]
    if care_team:
        resource["generalPractitioner"] = [reference("Practitioner", p) for p in care_team]
    return resource


def _patients(user: User) -> QuerySet[Patient]:
    return (
        Patient.objects.filter(intake_visible_q(user=user))
        .select_related("prescriber", "therapist")
        .order_by("legal_last_name", "legal_first_name", "id")
    )


def _name_filter(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    return rows.filter(
        Q(legal_first_name__icontains=value)
        | Q(legal_last_name__icontains=value)
        | Q(preferred_name__icontains=value)
    )


def _patient_id_filter(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    try:
        return rows.filter(uuid__in=[uuid.UUID(v) for v in value.split(",")])
    except ValueError as error:
        raise SearchError(f"{value!r} is not a known id.") from error


def _birthdate_filter(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    return rows.filter(date_of_birth=value[2:] if value[:2] == "eq" else value)


# --- QuestionnaireResponse (intake instruments) -----------------------------------------------

# LOINC panels of the instruments that have one; the others use the platform's own URN.
QUESTIONNAIRES = {"phq9": "http://loinc.org/q/44249-1", "gad7": "http://loinc.org/q/69737-5"}


def questionnaire_response_resource(response: InstrumentResponse) -> Resource:
    items = []
    for key, value in response.answers.items():
        answer = {"valueBoolean": value} if isinstance(value, bool) else {"valueInteger": value}
        items.append({"linkId": key, "answer": [answer]})
    questionnaire = QUESTIONNAIRES.get(
        response.instrument_key, f"urn:kap:questionnaire:{response.instrument_key}"
    )
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.uuid),
        "questionnaire": f"{questionnaire}|{response.instrument_version}",
        "status": "completed",
        "subject": patient_reference(response.patient),
        "authored": instant(response.recorded_at),
        "source": patient_reference(response.patient),
        "item": items,
    }
    return resource


def _instrument_responses(intake_only: bool) -> Callable[[User], QuerySet[InstrumentResponse]]:
    def rows(user: User) -> QuerySet[InstrumentResponse]:
        responses = InstrumentResponse.objects.filter(intake__isnull=not intake_only)
        return (
            clinical_rows(responses, user).select_related("patient").order_by("recorded_at", "id")
        )

    return rows


def _questionnaire_filter(rows: QuerySet[InstrumentResponse], value: str) -> QuerySet[Any]:
    wanted = [
        key
        for key, url in QUESTIONNAIRES.items()
        if any(part.split("|")[0] in (url, key) for part in value.split(","))
    ]
    return rows.filter(instrument_key__in=wanted)


QUESTIONNAIRE_RESPONSE_SEARCH = {
    "patient": reference_filter("patient__uuid", "Patient"),
    "subject": reference_filter("patient__uuid", "Patient"),
    "authored": date_filter("recorded_at"),
    "questionnaire": _questionnaire_filter,
}


# --- Consent -----------------------------------------------------------------------------------


def consent_id(signature: ConsentSignature) -> str:
    return f"{signature.intake.uuid}.{signature.document.kind}-{signature.document.version}"


def consent_resource(signature: ConsentSignature) -> Resource:
    patient = signature.intake.patient
    document = signature.document
    return {
        "resourceType": "Consent",
        "id": consent_id(signature),
        "status": "active",
        "scope": {
            "coding": [_coding("http://terminology.hl7.org/CodeSystem/consentscope", "treatment")]
        },
        "category": [{"coding": [_coding(LOINC, "59284-0", "Consent Document")]}],
        "patient": patient_reference(patient),
        "dateTime": instant(signature.signed_at),
        "policy": [{"uri": f"urn:kap:consent:{document.kind}:v{document.version}"}],
        "sourceAttachment": {"title": f"{document.title} (version {document.version})"},
    }


def _consents(user: User) -> QuerySet[ConsentSignature]:
    return (
        clinical_rows(ConsentSignature.objects.all(), user, patient_path="intake__patient__")
        .select_related("intake__patient", "document")
        .order_by("signed_at", "id")
    )


def _consent_by_id(rows: QuerySet[ConsentSignature], fhir_id: str) -> QuerySet[Any]:
    parts = split_id(fhir_id, "")
    if parts is None:
        return rows.none()
    kind, _, version = parts[1].rpartition("-")
    if not version.isdigit():
        return rows.none()
    return rows.filter(intake__uuid=parts[0], document__kind=kind, document__version=int(version))


# --- Condition (working diagnoses) --------------------------------------------------------------

CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def condition_resource(assessment: ClinicalAssessment) -> Resource:
    return {
        "resourceType": "Condition",
        "id": str(assessment.uuid),
        "meta": {"profile": [US_CORE + "us-core-condition-encounter-diagnosis"]},
        "clinicalStatus": {
            "coding": [
                _coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")
            ]
        },
        "verificationStatus": {
            "coding": [
                _coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "provisional")
            ]
        },
        "category": [{"coding": [_coding(CONDITION_CATEGORY, "encounter-diagnosis")]}],
        # Working diagnoses are free text in the clinical assessment (no coded value yet).
        "code": {"text": assessment.working_diagnoses},
        "subject": patient_reference(assessment.patient),
        "recordedDate": instant(assessment.created_at),
        "recorder": reference("Practitioner", assessment.assessed_by),
    }


def _conditions(user: User) -> QuerySet[ClinicalAssessment]:
    return (
        clinical_rows(ClinicalAssessment.objects.exclude(working_diagnoses=""), user)
        .select_related("patient", "assessed_by")
        .order_by("created_at", "id")
    )


# --- Observation: vital signs of the medical assessment -------------------------------------------

_ASSESSMENT_VITALS = {
    "blood_pressure": "bp",
    "heart_rate": "hr",
    "oxygen_saturation": "spo2",
    "body_weight": "wt",
}


def _assessment_vitals_source(kind: str) -> FhirSource:
    prefix = f"ma-{_ASSESSMENT_VITALS[kind]}-"
    field = {
        "blood_pressure": "blood_pressure_systolic",
        "heart_rate": "heart_rate",
        "oxygen_saturation": "oxygen_saturation",
        "body_weight": "weight_kg",
    }[kind]

    def rows(user: User) -> QuerySet[MedicalAssessment]:
        return (
            clinical_rows(MedicalAssessment.objects.filter(**{f"{field}__isnull": False}), user)
            .select_related("patient")
            .order_by("created_at", "id")
        )

    def to_resource(assessment: MedicalAssessment) -> Resource:
        return vital_observation(
            fhir_id=f"{prefix}{assessment.uuid}",
            patient=assessment.patient,
            when=assessment.created_at,
            kind=kind,
            values={
                "systolic": assessment.blood_pressure_systolic,
                "diastolic": assessment.blood_pressure_diastolic,
                "heart_rate": assessment.heart_rate,
                "spo2": assessment.oxygen_saturation,
                "weight_kg": assessment.weight_kg,
            },
        )

    return FhirSource(
        resource_type="Observation",
        key=f"medical-assessment-{kind}",
        rows=rows,
        to_resource=to_resource,
        by_id=by_uuid(prefix),
        search=observation_search(
            patient_path="patient__uuid",
            date_field="created_at",
            codes=VITAL_CODES[kind],
            category=VITAL_SIGNS,
        ),
        profiles=(VITAL_PROFILES[kind],),
    )


def observation_search(
    *,
    patient_path: str,
    date_field: str,
    codes: tuple[tuple[str, str], ...],
    category: tuple[str, str],
) -> dict[str, Callable[[QuerySet[Any], str], QuerySet[Any]]]:
    """The Observation search parameters of a source whose rows share their codes."""
    return {
        "patient": reference_filter(patient_path, "Patient"),
        "subject": reference_filter(patient_path, "Patient"),
        "date": date_filter(date_field),
        "code": fixed_token(*codes),
        "category": fixed_token(category),
    }


def register() -> None:
    fhir_source_register(
        FhirSource(
            resource_type="Patient",
            key="patient",
            rows=_patients,
            to_resource=patient_resource,
            by_id=by_uuid(),
            search={
                "_id": _patient_id_filter,
                "name": _name_filter,
                "family": lambda rows, value: rows.filter(legal_last_name__icontains=value),
                "given": lambda rows, value: rows.filter(legal_first_name__icontains=value),
                "birthdate": _birthdate_filter,
                "email": lambda rows, value: rows.filter(email__iexact=value),
            },
            profiles=(US_CORE + "us-core-patient",),
            clinical=False,
        )
    )
    fhir_source_register(
        FhirSource(
            resource_type="QuestionnaireResponse",
            key="intake-instrument",
            rows=_instrument_responses(intake_only=True),
            to_resource=questionnaire_response_resource,
            by_id=by_uuid(),
            search=QUESTIONNAIRE_RESPONSE_SEARCH,
        )
    )
    fhir_source_register(
        FhirSource(
            resource_type="Consent",
            key="intake-consent",
            rows=_consents,
            to_resource=consent_resource,
            by_id=_consent_by_id,
            search={
                "patient": reference_filter("intake__patient__uuid", "Patient"),
                "date": date_filter("signed_at"),
            },
        )
    )
    fhir_source_register(
        FhirSource(
            resource_type="Condition",
            key="working-diagnoses",
            rows=_conditions,
            to_resource=condition_resource,
            by_id=by_uuid(),
            search={
                "patient": reference_filter("patient__uuid", "Patient"),
                "subject": reference_filter("patient__uuid", "Patient"),
                "recorded-date": date_filter("created_at"),
                "category": fixed_token((CONDITION_CATEGORY, "encounter-diagnosis")),
            },
            profiles=(US_CORE + "us-core-condition-encounter-diagnosis",),
        )
    )
    for kind in _ASSESSMENT_VITALS:
        fhir_source_register(_assessment_vitals_source(kind))
