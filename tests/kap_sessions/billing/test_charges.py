"""Item 3: charges proposed from care, reviewed and posted; posted lines only adjusted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions import services as session_services
from sessions.billing import registry, services
from sessions.billing.models import (
    BillingCode,
    Charge,
    ChargeStatus,
    FeeDefault,
    PatientSlidingScale,
    PostedChargeError,
    SlidingScaleTier,
)
from sessions.models import Appointment, AppointmentStatus, DosingRecord, Drug, Room
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fees() -> None:
    for code, fee in (("90832", "90"), ("90834", "130"), ("90837", "180"), ("0820T", "150")):
        BillingCode.objects.filter(code=code).update(fee=Decimal(fee))
    BillingCode.objects.filter(code__in=["G2082", "G2083"]).update(fee=Decimal("300"))


def _therapy(minutes: int) -> Appointment:
    appointment = IntegrationAppointmentFactory()
    appointment.ends_at = appointment.starts_at + timedelta(minutes=minutes)
    appointment.save(update_fields=["ends_at"])
    return appointment


@pytest.mark.parametrize(
    ("minutes", "code"),
    [(15, None), (16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"), (53, "90837")],
)
def test_psychotherapy_charge_from_the_booked_duration_at_minute_edges(
    minutes: int, code: str | None
) -> None:
    charges = services.charges_propose(appointment=_therapy(minutes), by=None)
    assert [charge.code.code for charge in charges] == ([code] if code else [])
    assert all(charge.status == ChargeStatus.PROPOSED for charge in charges)


def test_a_registered_note_time_wins_over_the_booked_duration() -> None:
    appointment = _therapy(60)
    registry.session_minutes_register("test.note", lambda appt: 40)
    try:
        charges = services.charges_propose(appointment=appointment, by=None)
    finally:
        registry._providers.pop("test.note")
    assert [charge.code.code for charge in charges] == ["90834"]
    assert "40 min (test.note)" in charges[0].basis


def test_telehealth_gets_pos_10_and_modifier_95(telehealth: Room) -> None:
    appointment = _therapy(55)
    appointment.room = telehealth
    appointment.save(update_fields=["room"])
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    assert charge.place_of_service == "10"
    assert charge.modifiers == "95"


def _discharged(record: DosingRecord, *, minutes: int, drug: str, dose_mg: str) -> Appointment:
    dose = record.doses.get()
    start = timezone.now() - timedelta(minutes=minutes)
    type(dose).objects.filter(pk=dose.pk).update(
        started_at=start, ended_at=start, drug=drug, dose_mg=Decimal(dose_mg)
    )
    DosingRecord.objects.filter(pk=record.pk).update(
        discharged_at=start + timedelta(minutes=minutes)
    )
    Appointment.objects.filter(pk=record.appointment_id).update(status=AppointmentStatus.COMPLETED)
    return Appointment.objects.get(pk=record.appointment_id)


@pytest.mark.parametrize(("minutes", "units"), [(30, 0), (31, 1), (90, 1), (91, 2), (151, 3)])
def test_0820t_units_from_dose_to_discharge(record: DosingRecord, minutes: int, units: int) -> None:
    appointment = _discharged(record, minutes=minutes, drug=Drug.KETAMINE, dose_mg="35")
    charges = services.charges_propose(appointment=appointment, by=None)
    assert [(c.code.code, c.units) for c in charges] == ([("0820T", units)] if units else [])
    if units:
        assert charges[0].amount == Decimal("150") * units
        assert charges[0].rendering_provider == appointment.medical_monitor


@pytest.mark.parametrize(("dose", "code"), [("56", "G2082"), ("56.01", "G2083"), ("84", "G2083")])
def test_esketamine_code_from_the_dosing_record(record: DosingRecord, dose: str, code: str) -> None:
    appointment = _discharged(record, minutes=120, drug=Drug.ESKETAMINE, dose_mg=dose)
    charges = services.charges_propose(appointment=appointment, by=None)
    assert [c.code.code for c in charges] == [code]


def test_completing_an_appointment_proposes_its_charges(front_desk: User) -> None:
    appointment = _therapy(45)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.IN_PROGRESS)
    appointment.refresh_from_db()
    session_services.appointment_status_set(
        appointment=appointment, status=AppointmentStatus.COMPLETED, by=front_desk
    )
    assert [c.code.code for c in Charge.objects.filter(appointment=appointment)] == ["90834"]
    # Proposing again does not duplicate.
    appointment.refresh_from_db()
    services.charges_propose(appointment=appointment, by=front_desk)
    assert Charge.objects.filter(appointment=appointment).count() == 1


def test_a_protocol_default_charge_is_added(front_desk: User) -> None:
    appointment = _therapy(60)
    FeeDefault.objects.create(
        appointment_kind="integration", code=BillingCode.objects.get(code="99214")
    )
    codes = [c.code.code for c in services.charges_propose(appointment=appointment, by=None)]
    assert codes == ["90837", "99214"]


def test_the_patients_sliding_scale_discounts_the_proposal(front_desk: User) -> None:
    appointment = _therapy(60)
    tier = SlidingScaleTier.objects.create(name="Half", discount_percent=Decimal("50"))
    PatientSlidingScale.objects.create(
        patient=appointment.patient,
        tier=tier,
        review_on=timezone.localdate(),
        evidence="seen",
        reason="low income",
        set_by=front_desk,
    )
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    assert charge.amount == Decimal("90.00")
    assert charge.discount_reason == "sliding scale: Half"


def test_review_post_then_only_adjust(front_desk: User) -> None:
    charge = services.charges_propose(appointment=_therapy(60), by=None)[0]
    with pytest.raises(ValidationError) as error:
        services.charge_review(
            charge=charge,
            by=front_desk,
            code=charge.code,
            units=1,
            discount_percent=Decimal("10"),
        )
    assert "discount_reason" in error.value.message_dict
    charge = services.charge_review(
        charge=charge,
        by=front_desk,
        code=charge.code,
        units=1,
        discount_percent=Decimal("10"),
        discount_reason="hardship",
    )
    assert charge.amount == Decimal("162.00")
    charge = services.charge_post(charge=charge, by=front_desk)
    assert AuditEvent.objects.filter(object_id=str(charge.uuid), detail="charge posted").exists()
    with pytest.raises(PostedChargeError):
        services.charge_review(charge=charge, by=front_desk, code=charge.code, units=2)
    charge.units = 3
    with pytest.raises(PostedChargeError):
        charge.save()
    with pytest.raises(ValidationError):
        services.charge_adjust(charge=charge, by=front_desk, amount=Decimal("-12"), reason="")
    adjustment = services.charge_adjust(
        charge=charge, by=front_desk, amount=Decimal("-12.00"), reason="courtesy"
    )
    assert adjustment.adjusts == charge
    assert adjustment.status == ChargeStatus.POSTED
    with pytest.raises(ValidationError):
        services.charge_adjust(charge=charge, by=front_desk, amount=Decimal("-151"), reason="x")
    charge.refresh_from_db()
    assert charge.units == 1
    assert charge.amount == Decimal("162.00")
