"""Item 4: payments, refunds, allocations and balances (hand-computed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.billing import services
from sessions.billing.models import BillingCode, Charge, Payment, PaymentAllocation
from sessions.models import Appointment
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


NEW_YORK = ZoneInfo("America/New_York")


def _posted(front_desk: User, appointment: Appointment | None = None, *, day: int = 2) -> Charge:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    if appointment is None:
        appointment = IntegrationAppointmentFactory()
    else:
        appointment = IntegrationAppointmentFactory(course=appointment.course)
    # A fixed day (the factory's times step back from now and may cross midnight, which put the
    # second charge's date of service before the first's).
    appointment.starts_at = datetime(2026, 3, day, 10, tzinfo=NEW_YORK)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["starts_at", "ends_at"])
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    return services.charge_post(charge=charge, by=front_desk)


def test_balance_after_charges_payments_refunds_and_adjustments(front_desk: User) -> None:
    first = _posted(front_desk)  # 180.00
    patient = first.patient
    second = _posted(front_desk, first.appointment, day=3)  # 180.00, the day after
    assert services.patient_balance(patient) == Decimal("360.00")
    services.charge_adjust(charge=first, by=front_desk, amount=Decimal("-30.00"), reason="late")
    # 180 - 30 + 180 = 330
    assert services.patient_balance(patient) == Decimal("330.00")
    payment = services.payment_record(
        by=front_desk, patient=patient, amount=Decimal("200.00"), method="cash"
    )
    # 330 - 200 = 130; applied oldest first: 150 to the first line, 50 to the second.
    assert services.patient_balance(patient) == Decimal("130.00")
    allocations = {a.charge_id: a.amount for a in PaymentAllocation.objects.filter(payment=payment)}
    assert allocations == {first.pk: Decimal("150.00"), second.pk: Decimal("50.00")}
    assert services.charge_outstanding(first) == Decimal("0.00")
    assert services.charge_outstanding(second) == Decimal("130.00")
    services.refund_record(by=front_desk, payment=payment, amount=Decimal("20.00"), reason="dup")
    # 130 + 20 = 150
    assert services.patient_balance(patient) == Decimal("150.00")
    assert AuditEvent.objects.filter(detail="payment recorded").count() == 1
    assert AuditEvent.objects.filter(detail="refund recorded").count() == 1


def test_a_payment_larger_than_the_balance_needs_credit(front_desk: User) -> None:
    charge = _posted(front_desk)
    with pytest.raises(ValidationError) as error:
        services.payment_record(
            by=front_desk, patient=charge.patient, amount=Decimal("180.01"), method="cheque"
        )
    assert "more than the balance due ($180.00)" in error.value.message_dict["amount"][0]
    assert not Payment.objects.exists()
    services.payment_record(
        by=front_desk, patient=charge.patient, amount=Decimal("180.00"), method="cheque"
    )
    assert services.patient_balance(charge.patient) == Decimal("0.00")
    services.payment_record(
        by=front_desk,
        patient=charge.patient,
        amount=Decimal("50.00"),
        method="transfer",
        is_credit=True,
    )
    assert services.patient_balance(charge.patient) == Decimal("-50.00")


def test_refund_limits_and_bad_input(front_desk: User) -> None:
    charge = _posted(front_desk)
    payment = services.payment_record(
        by=front_desk, patient=charge.patient, amount=Decimal("100"), method="card_outside"
    )
    assert payment.provider_reference.startswith("console-")
    with pytest.raises(ValidationError):
        services.refund_record(by=front_desk, payment=payment, amount=Decimal("10"), reason=" ")
    services.refund_record(by=front_desk, payment=payment, amount=Decimal("60"), reason="x")
    with pytest.raises(ValidationError):
        services.refund_record(by=front_desk, payment=payment, amount=Decimal("40.01"), reason="x")
    with pytest.raises(ValidationError):
        services.payment_record(
            by=front_desk, patient=charge.patient, amount=Decimal("0"), method="cash"
        )
    with pytest.raises(ValidationError):
        services.payment_record(
            by=front_desk, patient=charge.patient, amount=Decimal("5"), method="bitcoin"
        )


def test_proposed_charges_are_not_owed(front_desk: User) -> None:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    appointment = IntegrationAppointmentFactory()
    services.charges_propose(appointment=appointment, by=None)
    assert services.patient_balance(appointment.patient) == Decimal("0")
