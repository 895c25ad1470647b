"""FHIR mapping of integration: PHQ-9 and GAD-7 Observations (the PHQ-9 panel links the item
answers), QuestionnaireResponse for outcome measures, DocumentReference for signed progress and
integration notes, Provenance for their signatures. Psychotherapy notes are never mapped
(45 CFR 164.501; CLINICAL.md): they stay out of the API and every export."""

from __future__ import annotations

import base64
from collections.abc import Callable

from django.db.models import Prefetch, QuerySet

from intake.fhir import (
    LOINC,
    QUESTIONNAIRE_RESPONSE_SEARCH,
    SURVEY,
    US_CORE,
    clinical_rows,
    instant,
    observation_search,
    patient_reference,
    questionnaire_response_resource,
)
from intake.models import InstrumentResponse
from integration.models import Note, NoteAddendum
from kap_clinic.accounts.models import User
from kap_clinic.interop.registry import (
    FhirSource,
    Resource,
    by_uuid,
    fhir_source_register,
    reference,
)
from kap_clinic.interop.search import date_filter, fixed_token, reference_filter

# LOINC: PHQ-9 panel 44249-1 and total 44261-6, GAD-7 total 70274-6 (CLINICAL.md); the PHQ-9
# item codes are the members of the LOINC panel 44249-1, in the order of the questionnaire.
PHQ9_PANEL = "44249-1"
PHQ9_TOTAL = "44261-6"
GAD7_TOTAL = "70274-6"
PHQ9_ITEM_CODES = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
SCREENING_PROFILE = US_CORE + "us-core-observation-screening-assessment"
NOTE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
PROGRESS_NOTE = "11506-3"


def _coding(code: str, display: str) -> dict[str, str]:
    return {"system": LOINC, "code": code, "display": display}


def _survey_observation(
    response: InstrumentResponse, *, fhir_id: str, code: dict[str, str]
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": fhir_id,
        "meta": {"profile": [SCREENING_PROFILE]},
        "status": "final",
        "category": [{"coding": [{"system": SURVEY[0], "code": SURVEY[1], "display": "Survey"}]}],
        "code": {"coding": [code], "text": code["display"]},
        "subject": patient_reference(response.patient),
        "effectiveDateTime": instant(response.recorded_at),
        "derivedFrom": [reference("QuestionnaireResponse", response)],
    }


def phq9_total_resource(response: InstrumentResponse) -> Resource:
    resource = _survey_observation(
        response,
        fhir_id=f"phq9-total-{response.uuid}",
        code=_coding(PHQ9_TOTAL, "Patient Health Questionnaire 9 item (PHQ-9) total score"),
    )
    resource["valueQuantity"] = {
        "value": response.total,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    resource["interpretation"] = [{"text": response.band_label}]
    return resource


def phq9_panel_resource(response: InstrumentResponse) -> Resource:
    resource = _survey_observation(
        response,
        fhir_id=f"phq9-panel-{response.uuid}",
        code=_coding(PHQ9_PANEL, "PHQ-9 quick depression assessment panel"),
    )
    resource["hasMember"] = [{"reference": f"Observation/phq9-total-{response.uuid}"}]
    resource["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": code}], "text": f"PHQ-9 item {n}"},
            "valueInteger": response.answers[f"item{n}"],
        }
        for n, code in enumerate(PHQ9_ITEM_CODES, start=1)
        if f"item{n}" in response.answers
    ]
    return resource


def gad7_total_resource(response: InstrumentResponse) -> Resource:
    resource = _survey_observation(
        response,
        fhir_id=f"gad7-total-{response.uuid}",
        code=_coding(GAD7_TOTAL, "Generalized anxiety disorder 7 item (GAD-7) total score"),
    )
    resource["valueQuantity"] = {
        "value": response.total,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    resource["interpretation"] = [{"text": response.band_label}]
    return resource


def _score_source(
    key: str, instrument: str, code: str, to_resource: Callable[[InstrumentResponse], Resource]
) -> FhirSource:
    def rows(user: User) -> QuerySet[InstrumentResponse]:
        responses = InstrumentResponse.objects.filter(
            instrument_key=instrument, total__isnull=False
        )
        return (
            clinical_rows(responses, user).select_related("patient").order_by("recorded_at", "id")
        )

    return FhirSource(
        resource_type="Observation",
        key=key,
        rows=rows,
        to_resource=to_resource,
        by_id=by_uuid(f"{key}-"),
        search=observation_search(
            patient_path="patient__uuid",
            date_field="recorded_at",
            codes=((LOINC, code),),
            category=SURVEY,
        ),
        profiles=(SCREENING_PROFILE,),
    )


# --- DocumentReference and Provenance (signed notes) ----------------------------------------


def _signed_notes(user: User) -> QuerySet[Note]:
    # Progress and integration notes only: PsychotherapyNote is another model, never read here.
    return (
        clinical_rows(Note.objects.filter(signed_at__isnull=False), user)
        .select_related("patient", "appointment", "author", "cosigned_by")
        .prefetch_related(
            Prefetch(
                "addenda",
                queryset=NoteAddendum.objects.select_related("author").order_by("signed_at"),
            )
        )
        .order_by("signed_at", "id")
    )


def note_text(note: Note) -> str:
    parts = [note.body]
    for addendum in note.addenda.all():
        parts.append(
            f"\n\nAddendum by {addendum.author.full_name}, {instant(addendum.signed_at)}:\n"
        )
        parts.append(addendum.body)
    return "".join(parts)


def document_reference_resource(note: Note) -> Resource:
    data = base64.b64encode(note_text(note).encode("utf-8")).decode("ascii")
    authors = [reference("Practitioner", note.author)]
    if note.cosigned_by is not None:
        authors.append(reference("Practitioner", note.cosigned_by))
    return {
        "resourceType": "DocumentReference",
        "id": str(note.uuid),
        "meta": {"profile": [US_CORE + "us-core-documentreference"]},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{note.uuid}"}],
        "status": "current",
        "docStatus": "final" if note.is_final else "preliminary",
        "type": {
            "coding": [_coding(PROGRESS_NOTE, "Progress note")],
            "text": note.get_kind_display(),
        },
        "category": [{"coding": [{"system": NOTE_CATEGORY, "code": "clinical-note"}]}],
        "subject": patient_reference(note.patient),
        "date": instant(note.signed_at),  # type: ignore[arg-type]
        "author": authors,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": data,
                    "title": f"{note.get_kind_display()} note",
                    "creation": instant(note.signed_at),  # type: ignore[arg-type]
                }
            }
        ],
        "context": {
            "encounter": [reference("Encounter", note.appointment)],
            "period": {"start": instant(note.appointment.starts_at)},
        },
    }


PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def provenance_resource(note: Note) -> Resource:
    agents = [
        {
            "type": {"coding": [{"system": PROVENANCE_PARTICIPANT, "code": "author"}]},
            "who": reference("Practitioner", note.author),
        }
    ]
    signatures = [
        {
            "type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1"}],
            "when": instant(note.signed_at),  # type: ignore[arg-type]
            "who": reference("Practitioner", note.author),
            "sigFormat": "application/sha256",
            "data": base64.b64encode(note.content_hash.encode("ascii")).decode("ascii"),
        }
    ]
    if note.cosigned_by is not None and note.cosigned_at is not None:
        agents.append(
            {
                "type": {"coding": [{"system": PROVENANCE_PARTICIPANT, "code": "verifier"}]},
                "who": reference("Practitioner", note.cosigned_by),
            }
        )
        signatures.append(
            {
                "type": [
                    {"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.5"}
                ],
                "when": instant(note.cosigned_at),
                "who": reference("Practitioner", note.cosigned_by),
            }
        )
    return {
        "resourceType": "Provenance",
        "id": f"sig-{note.uuid}",
        "meta": {"profile": [US_CORE + "us-core-provenance"]},
        "target": [reference("DocumentReference", note)],
        "recorded": instant(note.signed_at),  # type: ignore[arg-type]
        "agent": agents,
        "signature": signatures,
    }


_PATIENT = {
    "patient": reference_filter("patient__uuid", "Patient"),
    "subject": reference_filter("patient__uuid", "Patient"),
}


def register() -> None:
    sources = [
        _score_source("phq9-panel", "phq9", PHQ9_PANEL, phq9_panel_resource),
        _score_source("phq9-total", "phq9", PHQ9_TOTAL, phq9_total_resource),
        _score_source("gad7-total", "gad7", GAD7_TOTAL, gad7_total_resource),
        FhirSource(
            resource_type="QuestionnaireResponse",
            key="outcome-measure",
            rows=lambda user: (
                clinical_rows(InstrumentResponse.objects.filter(intake__isnull=True), user)
                .select_related("patient")
                .order_by("recorded_at", "id")
            ),
            to_resource=questionnaire_response_resource,
            by_id=by_uuid(),
            search=QUESTIONNAIRE_RESPONSE_SEARCH,
        ),
        FhirSource(
            resource_type="DocumentReference",
            key="signed-note",
            rows=_signed_notes,
            to_resource=document_reference_resource,
            by_id=by_uuid(),
            search={
                **_PATIENT,
                "date": date_filter("signed_at"),
                "category": fixed_token((NOTE_CATEGORY, "clinical-note")),
                "type": fixed_token((LOINC, PROGRESS_NOTE)),
            },
            profiles=(US_CORE + "us-core-documentreference",),
        ),
        FhirSource(
            resource_type="Provenance",
            key="note-signature",
            rows=_signed_notes,
            to_resource=provenance_resource,
            by_id=by_uuid("sig-"),
            search={"patient": reference_filter("patient__uuid", "Patient")},
            profiles=(US_CORE + "us-core-provenance",),
        ),
    ]
    for source in sources:
        fhir_source_register(source)
