"""Item 4 pages: front desk takes a payment on the statement; patients see only their own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.billing import services
from sessions.billing.models import BillingCode, Charge, Payment
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def _posted_for(patient: Patient, front_desk: User) -> Charge:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    appointment = IntegrationAppointmentFactory(course=CourseFactory(patient=patient))
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    return services.charge_post(charge=charge, by=front_desk)


def _url(patient: Patient) -> str:
    return f"/sessions/billing/patients/{patient.uuid}/statement/"


def test_front_desk_takes_a_payment_and_too_much_is_refused_on_the_field(
    client: Client, front_desk: User, patient: Patient
) -> None:
    _posted_for(patient, front_desk)
    client.force_login(front_desk)
    response = client.post(_url(patient), {"amount": "200.00", "method": "cash"})
    assert response.status_code == 200
    assert "more than the balance due ($180.00)" in response.context["form"].errors["amount"][0]
    assert not Payment.objects.exists()
    response = client.post(
        _url(patient), {"amount": "100.00", "method": "cheque", "reference": "1042"}
    )
    assert response.status_code == 302
    response = client.get(_url(patient))
    assert b"Balance due: $80.00" in response.content
    payment = Payment.objects.get()
    response = client.get(f"/sessions/billing/payments/{payment.uuid}/receipt/")
    assert b"$100.00" in response.content
    assert b"1042" in response.content


def test_patients_see_only_their_own_money(
    client: Client,
    front_desk: User,
    patient: Patient,
    patient_user: User,
    other_patient: Patient,
    therapist: User,
) -> None:
    _posted_for(patient, front_desk)
    payment = services.payment_record(
        by=front_desk, patient=patient, amount=Decimal("50"), method="cash"
    )
    client.force_login(patient_user)
    response = client.get(_url(patient))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert client.post(_url(patient), {"amount": "1", "method": "cash"}).status_code == 403
    assert client.get(f"/sessions/billing/payments/{payment.uuid}/receipt/").status_code == 200
    assert client.get(_url(other_patient)).status_code == 404
    client.force_login(other_patient.user)
    assert client.get(f"/sessions/billing/payments/{payment.uuid}/receipt/").status_code == 404
    client.force_login(therapist)
    assert client.get(_url(patient)).status_code == 403
    assert AuditEvent.objects.filter(action="read", detail="statement viewed").exists()
    assert AuditEvent.objects.filter(action="read", detail="receipt viewed").exists()


def test_statement_queries_are_bounded(
    client: Client, front_desk: User, patient: Patient, django_assert_max_num_queries: object
) -> None:
    charge = _posted_for(patient, front_desk)
    services.payment_record(by=front_desk, patient=patient, amount=Decimal("1"), method="cash")
    client.force_login(front_desk)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert client.get(_url(patient)).status_code == 200
    Charge.objects.bulk_create(
        Charge(
            patient=patient,
            code=charge.code,
            date_of_service=charge.date_of_service,
            unit_fee=charge.unit_fee,
            amount=charge.amount,
            status="posted",
        )
        for _ in range(49)
    )
    Payment.objects.bulk_create(
        Payment(patient=patient, method="cash", amount=Decimal("1"), received_by=front_desk)
        for _ in range(49)
    )
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = client.get(_url(patient))
    assert response.content.count(b"Receipt</a>") == 50
