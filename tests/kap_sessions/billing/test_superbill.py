"""Item 5: the superbill PDF carries every required field; no diagnosis, no superbill."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.clinic.models import Organisation, ProfessionalLicence, StaffProfile
from sessions.billing import services
from sessions.billing.models import BillingCode
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(patient: Patient, front_desk: User) -> Patient:
    Organisation.objects.update_or_create(
        pk=1,
        defaults={
            "legal_name": "Synthetic KAP Clinic LLC",
            "address": "1 Test Street",
            "phone": "555-0100",
            "ein": "12-3456789",
            "group_npi": "1234567893",
        },
    )
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    course = CourseFactory(patient=patient)
    therapist = course.therapist
    therapist.full_name = "Synthetic Therapist"
    therapist.save(update_fields=["full_name"])
    StaffProfile.objects.update_or_create(user=therapist, defaults={"npi": "1245319599"})
    ProfessionalLicence.objects.create(
        user=therapist,
        kind=ProfessionalLicence._meta.get_field("kind").choices[0][0],
        jurisdiction="NY",
        number="LIC-4242",
        issued_on=date(2020, 1, 1),
        expires_on=date(2030, 1, 1),
    )
    appointment = IntegrationAppointmentFactory(course=course)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    services.charge_post(charge=charge, by=front_desk)
    services.payment_record(by=front_desk, patient=patient, amount=Decimal("80"), method="cash")
    return patient


def _url(patient: Patient) -> str:
    return f"/sessions/billing/patients/{patient.uuid}/superbill/"


def test_no_diagnosis_is_refused_with_a_clear_message(
    client: Client, billed: Patient, patient_user: User
) -> None:
    client.force_login(patient_user)
    response = client.get(_url(billed), follow=True)
    assert b"A superbill needs a diagnosis" in response.content
    assert response.headers["Content-Type"].startswith("text/html")


def test_the_patient_downloads_a_superbill_with_every_field(
    client: Client, billed: Patient, patient_user: User, clinic_admin: User, other_patient: Patient
) -> None:
    course = billed.courses.get()
    services.course_diagnosis_add(
        by=clinic_admin, course=course, code=BillingCode.objects.get(code="F33.1")
    )
    client.force_login(patient_user)
    response = client.get(_url(billed))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    charge = billed.charges.get()
    for field in (
        "Synthetic KAP Clinic LLC",
        "12-3456789",
        "1234567893",
        "Synthetic Therapist",
        "1245319599",
        "LIC-4242",
        billed.legal_last_name,
        billed.mrn,
        billed.date_of_birth.strftime("%m/%d/%Y"),
        charge.date_of_service.strftime("%m/%d/%Y"),
        "90837",
        "F33.1",
        "$180.00",
        "$80.00",
        "signature",
    ):
        assert field in text, field
    assert " 11 " in f" {text} "  # place of service
    assert client.get(_url(other_patient)).status_code == 404
