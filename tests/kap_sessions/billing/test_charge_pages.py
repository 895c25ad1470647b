"""Item 3 pages: front desk posts and adjusts; clinicians see their own sessions' codes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.billing import services
from sessions.billing.models import BillingCode, Charge, ChargeStatus
from sessions.models import Appointment
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment() -> Appointment:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    appointment = IntegrationAppointmentFactory()
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    services.charges_propose(appointment=appointment, by=None)
    return appointment


def _url(appointment: Appointment) -> str:
    return f"/sessions/billing/appointments/{appointment.uuid}/charges/"


def test_front_desk_posts_then_adjusts(
    client: Client, front_desk: User, appointment: Appointment
) -> None:
    client.force_login(front_desk)
    response = client.get(_url(appointment))
    assert response.status_code == 200
    assert b"90837" in response.content
    charge = Charge.objects.get(appointment=appointment)
    response = client.post(f"/sessions/billing/charges/{charge.uuid}/post/")
    assert response.status_code == 302
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.POSTED
    # Posting twice is refused with a message, not a 500.
    response = client.post(f"/sessions/billing/charges/{charge.uuid}/post/", follow=True)
    assert b"Only a proposed charge can be posted." in response.content
    response = client.post(
        f"/sessions/billing/charges/{charge.uuid}/adjust/",
        {"amount": "-20.00", "reason": "courtesy"},
    )
    assert Charge.objects.get(adjusts=charge).amount == Decimal("-20.00")
    response = client.post(
        f"/sessions/billing/charges/{charge.uuid}/adjust/", {"amount": "-5"}, follow=True
    )
    assert b"Enter the adjustment amount and its reason." in response.content
    assert Charge.objects.filter(adjusts=charge).count() == 1


def test_access_matrix(
    client: Client,
    appointment: Appointment,
    outsider: User,
    patient_user: User,
    front_desk: User,
) -> None:
    charge = Charge.objects.get(appointment=appointment)
    client.force_login(appointment.therapist)
    assert client.get(_url(appointment)).status_code == 200
    assert client.post(f"/sessions/billing/charges/{charge.uuid}/post/").status_code == 403
    client.force_login(outsider)
    assert client.get(_url(appointment)).status_code == 403
    client.force_login(patient_user)
    assert client.get(_url(appointment)).status_code == 404
    assert AuditEvent.objects.filter(action="read", detail="charges viewed").exists()


def test_charges_page_queries_are_bounded(
    client: Client,
    front_desk: User,
    appointment: Appointment,
    django_assert_max_num_queries: object,
) -> None:
    client.force_login(front_desk)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(_url(appointment)).status_code == 200
    charge = Charge.objects.get(appointment=appointment)
    Charge.objects.bulk_create(
        Charge(
            patient=charge.patient,
            appointment=appointment,
            code=charge.code,
            date_of_service=charge.date_of_service,
            unit_fee=charge.unit_fee,
            amount=charge.amount,
        )
        for _ in range(49)
    )
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(_url(appointment))
    assert response.content.count(b"90837") >= 50
