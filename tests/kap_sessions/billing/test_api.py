"""Item 8: the billing API (charges, payments, accounts with the superbill PDF): the same
services and access rules as the pages; bad input answers 400 with a reason; lists keep a fixed
number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.billing import services
from sessions.billing.models import BillingCode, Charge, ChargeStatus, CodeSystem, Payment
from sessions.models import Appointment
from tests.factories import (
    CourseFactory,
    IntegrationAppointmentFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHARGES = "/api/v1/billing/charges/"
PAYMENTS = "/api/v1/billing/payments/"
ACCOUNTS = "/api/v1/billing/accounts/"


def _session(patient: Patient, therapist: User, prescriber: User) -> Appointment:
    """A completed 60-minute session of the patient's course with ``therapist``."""
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    course = CourseFactory(patient=patient, therapist=therapist, prescriber=prescriber)
    appointment = IntegrationAppointmentFactory(course=course)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    return appointment


@pytest.fixture
def proposed(patient: Patient, therapist: User, prescriber: User) -> Charge:
    appointment = _session(patient, therapist, prescriber)
    return services.charges_propose(appointment=appointment, by=None)[0]


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _front_desk_without_billing() -> User:
    group = Group.objects.get(name=Role.FRONT_DESK.value)
    group.permissions.remove(Permission.objects.get(codename="manage_billing"))
    return UserFactory(role=Role.FRONT_DESK)


def test_billing_staff_post_then_adjust_and_a_posted_charge_is_never_changed(
    proposed: Charge, front_desk: User
) -> None:
    api = _api(front_desk)
    response = api.post(f"{CHARGES}{proposed.uuid}/post/")
    assert response.status_code == 200
    assert response.json()["status"] == "posted"
    assert response.json()["amount"] == "180.00"
    again = api.post(f"{CHARGES}{proposed.uuid}/post/")
    assert again.status_code == 400
    assert again.json()["detail"] == "Only a proposed charge can be posted."
    assert api.post(f"{CHARGES}{proposed.uuid}/discard/").status_code == 400
    no_reason = api.post(f"{CHARGES}{proposed.uuid}/adjust/", {"amount": "-30", "reason": " "})
    assert no_reason.status_code == 400
    too_much = api.post(f"{CHARGES}{proposed.uuid}/adjust/", {"amount": "-181", "reason": "x"})
    assert too_much.status_code == 400
    assert "below zero" in too_much.json()["detail"]
    adjusted = api.post(
        f"{CHARGES}{proposed.uuid}/adjust/", {"amount": "-30.00", "reason": "late start"}
    )
    assert adjusted.status_code == 201
    assert adjusted.json()["adjusts"] == str(proposed.uuid)
    assert adjusted.json()["amount"] == "-30.00"
    proposed.refresh_from_db()
    assert (proposed.status, proposed.amount) == (ChargeStatus.POSTED, Decimal("180.00"))
    assert services.patient_balance(proposed.patient) == Decimal("150.00")
    # The services audit the writes.
    assert AuditEvent.objects.filter(action="update", detail="charge posted").count() == 1
    assert AuditEvent.objects.filter(action="create", detail="charge adjusted").count() == 1


def test_a_proposed_charge_can_be_discarded(proposed: Charge, clinic_admin: User) -> None:
    response = _api(clinic_admin).post(f"{CHARGES}{proposed.uuid}/discard/")
    assert response.status_code == 200
    assert response.json()["status"] == "discarded"


def test_overpayment_without_credit_is_refused_with_a_reason(
    proposed: Charge, front_desk: User
) -> None:
    services.charge_post(charge=proposed, by=front_desk)
    api = _api(front_desk)
    patient = str(proposed.patient.uuid)
    response = api.post(PAYMENTS, {"patient": patient, "amount": "200.00", "method": "cash"})
    assert response.status_code == 400
    assert "more than the balance due ($180.00)" in response.json()["detail"]
    assert "amount" in response.json()
    assert not Payment.objects.exists()
    response = api.post(
        PAYMENTS,
        {"patient": patient, "amount": "200.00", "method": "cash", "is_credit": True},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "payment"
    assert body["allocations"] == [{"charge": str(proposed.uuid), "amount": "180.00"}]
    assert AuditEvent.objects.filter(action="create", detail="payment recorded").count() == 1
    refund = api.post(f"{PAYMENTS}{body['uuid']}/refund/", {"amount": "20", "reason": "credit"})
    assert refund.status_code == 201
    assert refund.json()["refunds"] == body["uuid"]
    too_much = api.post(f"{PAYMENTS}{body['uuid']}/refund/", {"amount": "181", "reason": "x"})
    assert too_much.status_code == 400
    assert "at most $180.00" in too_much.json()["detail"]
    assert services.patient_balance(proposed.patient) == Decimal("0.00")


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "10", "method": "cash"},  # no patient
        {"patient": "00000000-0000-0000-0000-000000000000", "amount": "10", "method": "cash"},
        {"patient": "PATIENT", "amount": "abc", "method": "cash"},
        {"patient": "PATIENT", "amount": "-5", "method": "cash"},
        {"patient": "PATIENT", "amount": "0", "method": "cash"},
        {"patient": "PATIENT", "amount": "99999999999", "method": "cash"},
        {"patient": "PATIENT", "amount": "10", "method": "bitcoin"},
        {"patient": "PATIENT", "amount": "10", "method": "cash", "reference": "x" * 61},
    ],
)
def test_bad_payments_answer_400_and_save_nothing(
    body: dict[str, Any], patient: Patient, front_desk: User
) -> None:
    if body.get("patient") == "PATIENT":
        body = {**body, "patient": str(patient.uuid)}
    response = _api(front_desk).post(PAYMENTS, body)
    assert response.status_code == 400
    assert response.json()
    assert not Payment.objects.exists()


def test_bad_charge_filters_answer_400(front_desk: User) -> None:
    api = _api(front_desk)
    assert api.get(CHARGES, {"patient": "not-a-uuid"}).status_code == 400
    assert api.get(CHARGES, {"status": "paid"}).status_code == 400


def test_clinicians_read_only_their_own_sessions_charges(
    proposed: Charge,
    therapist: User,
    prescriber: User,
    outsider: User,
    front_desk: User,
    other_patient: Patient,
) -> None:
    other = _session(other_patient, outsider, UserFactory(role=Role.PRESCRIBER))
    services.charges_propose(appointment=other, by=None)
    discarded = services.charges_propose(
        appointment=_session(proposed.patient, therapist, prescriber), by=None
    )[0]
    services.charge_discard(charge=discarded, by=front_desk)
    for user in (therapist, prescriber):
        api = _api(user)
        rows = api.get(CHARGES).json()["results"]
        assert [row["uuid"] for row in rows] == [str(proposed.uuid)]
        assert api.get(f"{CHARGES}{proposed.uuid}/").status_code == 200
        assert api.get(f"{CHARGES}{discarded.uuid}/").status_code == 404
        assert api.post(f"{CHARGES}{proposed.uuid}/post/").status_code == 403
        assert (
            api.post(
                f"{CHARGES}{proposed.uuid}/adjust/", {"amount": "1", "reason": "x"}
            ).status_code
            == 403
        )
        assert api.get(PAYMENTS).status_code == 403
        assert api.get(ACCOUNTS).status_code == 403
        assert api.get(f"{ACCOUNTS}{proposed.patient.uuid}/superbill/").status_code == 403
    api = _api(outsider)
    assert api.get(f"{CHARGES}{proposed.uuid}/").status_code == 404
    assert str(proposed.uuid) not in str(api.get(CHARGES).json())
    proposed.refresh_from_db()
    assert proposed.status == ChargeStatus.PROPOSED


def test_patients_see_only_their_own_posted_charges_payments_and_superbill(
    proposed: Charge, front_desk: User, patient: Patient, patient_user: User, other_patient: Patient
) -> None:
    posted = services.charge_post(charge=proposed, by=front_desk)
    still_proposed = services.charges_propose(
        appointment=_session(patient, patient.therapist, patient.prescriber), by=None
    )[0]
    payment = services.payment_record(
        by=front_desk, patient=patient, amount=Decimal("80"), method="cash"
    )
    api = _api(patient_user)
    assert [row["uuid"] for row in api.get(CHARGES).json()["results"]] == [str(posted.uuid)]
    assert api.get(f"{CHARGES}{still_proposed.uuid}/").status_code == 404
    assert (
        api.post(f"{CHARGES}{posted.uuid}/adjust/", {"amount": "-1", "reason": "x"}).status_code
        == 403
    )
    assert [row["uuid"] for row in api.get(PAYMENTS).json()["results"]] == [str(payment.uuid)]
    assert (
        api.post(
            PAYMENTS, {"patient": str(patient.uuid), "amount": "1", "method": "cash"}
        ).status_code
        == 403
    )
    accounts = api.get(ACCOUNTS).json()["results"]
    assert [(row["uuid"], row["balance"]) for row in accounts] == [(str(patient.uuid), "100.00")]
    # No diagnosis yet: a reason, not a PDF.
    response = api.get(f"{ACCOUNTS}{patient.uuid}/superbill/")
    assert response.status_code == 400
    assert "needs a diagnosis" in response.json()["detail"]
    services.course_diagnosis_add(
        by=patient.therapist,
        course=posted.appointment.course,
        code=BillingCode.objects.filter(system=CodeSystem.ICD10).first(),
    )
    response = api.get(f"{ACCOUNTS}{patient.uuid}/superbill/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", detail="api superbill PDF").count() == 1
    bad_period = api.get(f"{ACCOUNTS}{patient.uuid}/superbill/", {"start": "2026-02-30"})
    assert bad_period.status_code == 400
    # Another patient: none of it exists for them.
    other = _api(other_patient.user)
    assert other.get(CHARGES).json()["results"] == []
    assert other.get(f"{CHARGES}{posted.uuid}/").status_code == 404
    assert other.get(f"{PAYMENTS}{payment.uuid}/").status_code == 404
    assert (
        other.post(f"{PAYMENTS}{payment.uuid}/refund/", {"amount": "1", "reason": "x"}).status_code
        == 404
    )
    assert other.get(f"{ACCOUNTS}{patient.uuid}/").status_code == 404
    assert other.get(f"{ACCOUNTS}{patient.uuid}/superbill/").status_code == 404


def test_front_desk_without_the_billing_permission_is_refused(proposed: Charge) -> None:
    api = _api(_front_desk_without_billing())
    for url in (CHARGES, f"{CHARGES}{proposed.uuid}/", PAYMENTS, ACCOUNTS):
        assert api.get(url).status_code == 403
    assert api.post(f"{CHARGES}{proposed.uuid}/post/").status_code == 403
    response = api.post(
        PAYMENTS, {"patient": str(proposed.patient.uuid), "amount": "1", "method": "cash"}
    )
    assert response.status_code == 403
    assert api.get(f"{ACCOUNTS}{proposed.patient.uuid}/superbill/").status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == ChargeStatus.PROPOSED


def test_anonymous_callers_are_refused(proposed: Charge) -> None:
    client = APIClient()
    for url in (CHARGES, PAYMENTS, ACCOUNTS, f"{ACCOUNTS}{proposed.patient.uuid}/superbill/"):
        assert client.get(url).status_code in (401, 403)


def test_reads_are_audited(proposed: Charge, front_desk: User) -> None:
    api = _api(front_desk)
    api.get(CHARGES)
    api.get(f"{CHARGES}{proposed.uuid}/")
    assert AuditEvent.objects.filter(
        action="read", object_type="kap_sessions.charge", detail="api list of 1 charges"
    ).exists()
    assert AuditEvent.objects.filter(
        action="read", object_id=str(proposed.uuid), detail="api charge"
    ).exists()


@pytest.mark.parametrize("rows", [1, 15])
def test_lists_keep_a_fixed_number_of_queries(
    rows: int, front_desk: User, django_assert_max_num_queries: Any
) -> None:
    for _ in range(rows):
        patient = PatientFactory()
        appointment = _session(
            patient, UserFactory(role=Role.THERAPIST), UserFactory(role=Role.PRESCRIBER)
        )
        charge = services.charges_propose(appointment=appointment, by=None)[0]
        charge = services.charge_post(charge=charge, by=front_desk)
        services.charge_adjust(charge=charge, by=front_desk, amount=Decimal("-5"), reason="x")
        payment = services.payment_record(
            by=front_desk, patient=patient, amount=Decimal("100"), method="cash"
        )
        services.refund_record(by=front_desk, payment=payment, amount=Decimal("10"), reason="x")
    api = _api(front_desk)
    for url, expected in ((CHARGES, 2 * rows), (PAYMENTS, 2 * rows), (ACCOUNTS, rows)):
        with django_assert_max_num_queries(12):
            response = api.get(url, {"limit": 200})
        assert response.status_code == 200
        assert response.json()["count"] == expected
