"""A patient's own record: the readable page, the FHIR bundle, copies sent to another provider
(due within 30 days, 45 CFR 164.524) and the staff list of those requests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.interop.models import RecordRequest, RecordRequestStatus
from tests.interop.conftest import PSYCHOTHERAPY_SECRET, Record, build_record

pytestmark = pytest.mark.django_db


def test_patient_downloads_their_whole_record_as_a_valid_fhir_bundle(
    client: Client, record: Record, other_patient: Patient, patient_user: User
):
    other = build_record(other_patient, other_patient.prescriber, other_patient.therapist)  # type: ignore[arg-type]
    client.force_login(patient_user)
    response = client.get("/records/mine/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert "attachment" in response["Content-Disposition"]
    bundle: dict[str, Any] = json.loads(response.content)
    get_fhir_model_class("Bundle").model_validate(bundle)
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {
        "Patient",
        "Observation",
        "MedicationAdministration",
        "DocumentReference",
        "Provenance",
        "Consent",
        "CarePlan",
        "Encounter",
        "Appointment",
        "Practitioner",
        "Location",
        "AdverseEvent",
        "QuestionnaireResponse",
        "Condition",
    } <= types
    text = response.content.decode()
    assert str(other.patient.uuid) not in text
    assert PSYCHOTHERAPY_SECRET not in text
    event = AuditEvent.objects.get(action="export", actor=patient_user)
    assert event.object_id == str(record.patient.uuid)


def test_record_page_is_readable_and_printable(client: Client, record: Record, patient_user: User):
    client.force_login(patient_user)
    response = client.get("/records/mine/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "144/91 mmHg" in page
    assert "35 mg" in page
    assert "LOT-SYN-42" in page
    assert "Synthetic integration note." in page
    assert "Major depressive disorder" in page
    assert PSYCHOTHERAPY_SECRET not in page
    assert "Unsigned draft" not in page


def test_only_patients_open_their_record_pages(client: Client, record: Record, therapist: User):
    client.force_login(therapist)
    assert client.get("/records/mine/").status_code == 403
    assert client.get("/records/mine/download/").status_code == 403


def test_patient_asks_for_a_copy_sent_to_another_provider_due_in_30_days(
    client: Client, record: Record, patient_user: User, front_desk: User
):
    client.force_login(patient_user)
    response = client.post(
        "/records/mine/send/",
        {"recipient_name": "Synthetic Psychiatry", "recipient_contact": "fax 555-0199"},
    )
    assert response.status_code == 302
    request = RecordRequest.objects.get()
    assert request.patient_fhir_id == str(record.patient.uuid)
    assert request.due_on == timezone.localdate() + timedelta(days=30)
    assert AuditEvent.objects.filter(object_id=str(request.uuid), action="create").exists()

    client.force_login(front_desk)
    page = client.get("/records/requests/").content.decode()
    assert "Synthetic Psychiatry" in page
    assert f"{request.due_on:%-d %b %Y}" in page
    response = client.post(f"/records/requests/{request.uuid}/sent/")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RecordRequestStatus.SENT
    assert request.sent_by == front_desk


def test_request_without_a_recipient_is_refused_on_the_field(
    client: Client, record: Record, patient_user: User
):
    client.force_login(patient_user)
    response = client.post("/records/mine/send/", {"recipient_name": "", "recipient_contact": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not RecordRequest.objects.exists()


def test_overdue_requests_are_flagged_and_clinicians_cannot_open_the_list(
    client: Client, record: Record, patient_user: User, clinic_admin: User, therapist: User
):
    RecordRequest.objects.create(
        requested_by=patient_user,
        patient_fhir_id=str(record.patient.uuid),
        recipient_name="Late Clinic",
        recipient_contact="post",
        requested_at=timezone.now() - timedelta(days=40),
        due_on=timezone.localdate() - timedelta(days=10),
    )
    client.force_login(clinic_admin)
    assert "Overdue" in client.get("/records/requests/").content.decode()
    client.force_login(therapist)
    assert client.get("/records/requests/").status_code == 403


@pytest.mark.parametrize("rows", [1, 50])
def test_request_list_keeps_a_fixed_query_count(
    client: Client,
    patient_user: User,
    front_desk: User,
    django_assert_max_num_queries: Any,
    rows: int,
):
    for n in range(rows):
        RecordRequest.objects.create(
            requested_by=patient_user,
            patient_fhir_id="x",
            recipient_name=f"Clinic {n}",
            recipient_contact="post",
            due_on=timezone.localdate(),
        )
    client.force_login(front_desk)
    with django_assert_max_num_queries(8):
        response = client.get("/records/requests/")
    assert response.content.decode().count("Mark as sent") == rows


def test_another_care_team_gets_404_for_everything(
    client: Client, record: Record, outsider: User, therapist: User
):
    client.force_login(outsider)
    response = client.get(f"/fhir/Patient/{record.patient.uuid}/$everything")
    assert response.status_code == 404
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    client.force_login(therapist)
    bundle = json.loads(client.get(f"/fhir/Patient/{record.patient.uuid}/$everything").content)
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["total"] >= 20
