"""The FHIR R4 API: every resource validates (fhir.resources R4B models), codes and units round-
trip, search parameters, paging, access as on the pages, audit, and no psychotherapy notes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client, RequestFactory
from fhir.resources.R4B import get_fhir_model_class

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.tokens.services import api_token_create
from kap_clinic.audit.models import AuditEvent
from kap_clinic.interop.registry import fhir_resource_types
from tests.interop.conftest import PSYCHOTHERAPY_SECRET, Record, build_record

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
TYPES = [
    "Patient",
    "Practitioner",
    "Organization",
    "Location",
    "Appointment",
    "Encounter",
    "Condition",
    "Observation",
    "QuestionnaireResponse",
    "MedicationAdministration",
    "AdverseEvent",
    "CarePlan",
    "Consent",
    "DocumentReference",
    "Provenance",
]


def fhir_get(client: Client, url: str, status: int = 200) -> dict[str, Any]:
    response = client.get(url, HTTP_ACCEPT=FHIR_JSON)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body: dict[str, Any] = json.loads(response.content)
    return body


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Fails the test on any validation error against the R4 (R4B) model of its type."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def search(client: Client, query: str) -> list[dict[str, Any]]:
    bundle = validated(fhir_get(client, f"/fhir/{query}"))
    assert bundle["type"] == "searchset"
    return [validated(entry["resource"]) for entry in bundle.get("entry", [])]


def observation(resources: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in resources if r["code"]["coding"][0]["code"] == code)


def test_every_type_is_registered_and_announced_in_the_capability_statement(client: Client):
    assert set(TYPES) <= set(fhir_resource_types())
    statement = validated(fhir_get(client, "/fhir/metadata"))
    announced = {r["type"] for r in statement["rest"][0]["resource"]}
    assert set(TYPES) <= announced


def test_every_resource_of_a_whole_record_validates_and_reads_back(
    client: Client, record: Record, clinic_admin: User
):
    client.force_login(clinic_admin)
    for resource_type in TYPES:
        resources = search(client, resource_type)
        assert resources, resource_type
        for resource in resources:
            read = validated(fhir_get(client, f"/fhir/{resource_type}/{resource['id']}"))
            assert read == resource


def test_vital_signs_carry_the_loinc_codes_and_ucum_units(
    client: Client, record: Record, prescriber: User
):
    client.force_login(prescriber)
    resources = search(client, f"Observation?patient={record.patient.uuid}&category=vital-signs")
    pressures = [r for r in resources if r["code"]["coding"][0]["code"] == "85354-9"]
    dosing_bp = next(r for r in pressures if r.get("encounter"))
    systolic, diastolic = dosing_bp["component"]
    assert systolic["code"]["coding"][0]["code"] == "8480-6"
    assert systolic["valueQuantity"] == {
        "value": 144,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert diastolic["code"]["coding"][0]["code"] == "8462-4"
    assert diastolic["valueQuantity"]["value"] == 91
    heart = [r for r in resources if r["code"]["coding"][0]["code"] == "8867-4"]
    assert {(r["valueQuantity"]["value"], r["valueQuantity"]["code"]) for r in heart} == {
        (88, "/min"),
        (72, "/min"),
    }
    spo2 = observation(resources, "59408-5")
    assert spo2["valueQuantity"]["code"] == "%"
    weights = [r for r in resources if r["code"]["coding"][0]["code"] == "29463-7"]
    assert {(r["valueQuantity"]["value"], r["valueQuantity"]["code"]) for r in weights} == {
        (70.0, "kg"),
        (70.5, "kg"),
    }
    assert all(
        r["meta"]["profile"][0].startswith("http://hl7.org/fhir/us/core/") for r in resources
    )


def test_phq9_panel_links_the_item_answers_and_the_total(
    client: Client, record: Record, therapist: User
):
    client.force_login(therapist)
    resources = search(client, "Observation?code=http://loinc.org|44249-1")
    (panel,) = resources
    assert [c["valueInteger"] for c in panel["component"]] == [2, 2, 1, 1, 0, 1, 2, 1, 0]
    assert panel["component"][8]["code"]["coding"][0]["code"] == "44260-8"
    assert panel["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{record.phq9.uuid}"}]
    total = validated(fhir_get(client, f"/fhir/{panel['hasMember'][0]['reference']}"))
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueQuantity"]["value"] == 10
    (gad7,) = search(client, "Observation?code=70274-6")
    assert gad7["valueQuantity"]["value"] == 7


def test_dose_carries_drug_route_dose_and_lot(client: Client, record: Record, prescriber: User):
    client.force_login(prescriber)
    (dose,) = search(client, f"MedicationAdministration?patient=Patient/{record.patient.uuid}")
    assert dose["dosage"]["dose"] == {
        "value": 35.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert dose["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert dose["contained"][0]["batch"]["lotNumber"] == "LOT-SYN-42"
    assert dose["contained"][0]["code"]["coding"][0]["code"] == "ketamine"
    assert dose["context"] == {"reference": f"Encounter/{record.dosing.uuid}"}


def test_search_by_date_code_category_and_patient(
    client: Client, record: Record, other_patient: Patient, clinic_admin: User
):
    build_record(other_patient, other_patient.prescriber, other_patient.therapist)  # type: ignore[arg-type]
    client.force_login(clinic_admin)
    assert len(search(client, "Patient")) == 2
    mine = search(client, f"Encounter?patient={record.patient.uuid}")
    assert {r["id"] for r in mine} == {str(record.dosing.uuid), str(record.integration.uuid)}
    day = record.dosing.starts_at.date()
    on_day = search(client, f"Appointment?patient={record.patient.uuid}&date={day.isoformat()}")
    assert [r["id"] for r in on_day] == [str(record.dosing.uuid)]
    assert search(client, f"Appointment?patient={record.patient.uuid}&date=gt2999-01-01") == []
    heart = search(client, f"Observation?patient={record.patient.uuid}&code=8867-4")
    assert {r["code"]["coding"][0]["code"] for r in heart} == {"8867-4"}
    surveys = search(client, f"Observation?patient={record.patient.uuid}&category=survey")
    assert {r["code"]["coding"][0]["code"] for r in surveys} == {"44249-1", "44261-6", "70274-6"}
    assert search(client, "Observation?code=http://snomed.info/sct|44261-6") == []
    notes = search(
        client, "DocumentReference?category=clinical-note&patient=" + str(record.patient.uuid)
    )
    assert [r["id"] for r in notes] == [str(record.note.uuid)]


def test_paging_follows_next_links_to_every_row(client: Client, record: Record, clinic_admin: User):
    client.force_login(clinic_admin)
    url: str | None = f"/fhir/Observation?patient={record.patient.uuid}&_count=3"
    seen: list[str] = []
    total = None
    while url:
        bundle = validated(fhir_get(client, url))
        total = bundle["total"]
        seen += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert total == len(seen) == len(set(seen))
    assert total >= 10


def test_count_zero_gives_the_total_without_a_next_link(
    client: Client, record: Record, clinic_admin: User
):
    client.force_login(clinic_admin)
    bundle = validated(fhir_get(client, "/fhir/Observation?_count=0"))
    assert bundle["total"] > 0
    assert "entry" not in bundle
    assert [link["relation"] for link in bundle["link"]] == ["self"]


def test_bad_search_answers_an_operation_outcome(client: Client, clinic_admin: User):
    client.force_login(clinic_admin)
    for url in (
        "/fhir/Observation?date=yesterday",
        "/fhir/Observation?colour=blue",
        "/fhir/Observation?patient=Practitioner/123",
        "/fhir/Observation?_count=many",
    ):
        outcome = validated(fhir_get(client, url, status=400))
        assert outcome["resourceType"] == "OperationOutcome"
    assert validated(fhir_get(client, "/fhir/Spaceship", status=404))["resourceType"] == (
        "OperationOutcome"
    )
    assert validated(fhir_get(client, "/fhir/Patient/a/b/c", status=404))["issue"]
    response = client.post("/fhir/Patient", {}, HTTP_ACCEPT=FHIR_JSON)
    assert response.status_code == 405
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_anonymous_callers_get_401_operation_outcome(client: Client, record: Record):
    outcome = validated(fhir_get(client, "/fhir/Patient", status=401))
    assert outcome["resourceType"] == "OperationOutcome"


def test_a_system_reads_with_a_token(client: Client, record: Record, clinic_admin: User):
    request = RequestFactory().post("/accounts/security/")
    request.user = clinic_admin
    _token, secret = api_token_create(request=request, user=clinic_admin, name="Records system")
    response = client.get(
        f"/fhir/Patient/{record.patient.uuid}", HTTP_AUTHORIZATION=f"Token {secret}"
    )
    assert response.status_code == 200
    assert json.loads(response.content)["id"] == str(record.patient.uuid)


def test_another_care_team_gets_404_for_every_resource(
    client: Client, record: Record, outsider: User, clinic_admin: User
):
    client.force_login(clinic_admin)
    ids = {t: [r["id"] for r in search(client, t)] for t in TYPES}
    client.force_login(outsider)
    for resource_type, resource_ids in ids.items():
        if resource_type in ("Practitioner", "Organization", "Location"):
            continue
        assert search(client, resource_type) == [], resource_type
        for resource_id in resource_ids:
            outcome = fhir_get(client, f"/fhir/{resource_type}/{resource_id}", status=404)
            assert outcome["resourceType"] == "OperationOutcome"


def test_front_desk_gets_no_clinical_resource(client: Client, record: Record, front_desk: User):
    client.force_login(front_desk)
    assert search(client, "Patient")
    assert search(client, "Appointment")
    for resource_type in (
        "Observation",
        "MedicationAdministration",
        "DocumentReference",
        "Condition",
        "QuestionnaireResponse",
        "Encounter",
        "CarePlan",
    ):
        assert search(client, resource_type) == [], resource_type
    fhir_get(client, f"/fhir/DocumentReference/{record.note.uuid}", status=404)


def test_a_patient_sees_only_their_own_record(
    client: Client, record: Record, other_patient: Patient, patient_user: User
):
    other = build_record(other_patient, other_patient.prescriber, other_patient.therapist)  # type: ignore[arg-type]
    client.force_login(patient_user)
    patients = search(client, "Patient")
    assert [p["id"] for p in patients] == [str(record.patient.uuid)]
    assert {r["subject"]["reference"] for r in search(client, "Observation")} == {
        f"Patient/{record.patient.uuid}"
    }
    fhir_get(client, f"/fhir/Patient/{other.patient.uuid}", status=404)
    fhir_get(client, f"/fhir/DocumentReference/{other.note.uuid}", status=404)


def test_psychotherapy_notes_and_unsigned_notes_are_absent_everywhere(
    client: Client, record: Record, clinic_admin: User, therapist: User
):
    for user in (clinic_admin, therapist):
        client.force_login(user)
        for resource_type in TYPES:
            bundle = json.dumps(fhir_get(client, f"/fhir/{resource_type}?_count=200"))
            assert PSYCHOTHERAPY_SECRET not in bundle
            assert "Unsigned draft" not in bundle
        (document,) = search(client, "DocumentReference")
        text = base64.b64decode(document["content"][0]["attachment"]["data"]).decode()
        assert "Synthetic integration note." in text
        assert "Synthetic addendum." in text
        assert PSYCHOTHERAPY_SECRET not in text


def test_reads_and_searches_are_audited(client: Client, record: Record, therapist: User):
    client.force_login(therapist)
    before = AuditEvent.objects.count()
    fhir_get(client, f"/fhir/Patient/{record.patient.uuid}")
    search(client, "Observation")
    events = list(AuditEvent.objects.order_by("occurred_at", "id")[before:])
    assert [(e.actor, e.action, e.object_type) for e in events] == [
        (therapist, "read", "fhir.Patient"),
        (therapist, "read", "fhir.Observation"),
    ]
    assert events[0].object_id == str(record.patient.uuid)


@pytest.mark.parametrize("rows", [1, 50])
def test_searches_keep_a_fixed_query_count(
    client: Client,
    organisation: Any,
    prescriber: User,
    therapist: User,
    clinic_admin: User,
    django_assert_max_num_queries: Any,
    rows: int,
):
    from tests.factories import PatientFactory

    for _ in range(rows):
        build_record(
            PatientFactory(prescriber=prescriber, therapist=therapist), prescriber, therapist
        )
    client.force_login(clinic_admin)
    for resource_type in TYPES:
        # Session, user, permissions, the counts and pages of every source, and the audit row.
        with django_assert_max_num_queries(30):
            bundle = fhir_get(client, f"/fhir/{resource_type}?_count=200")
        if resource_type not in ("Organization", "Practitioner"):
            assert bundle["total"] >= rows, resource_type
