"""Vital-sign alerts: the label's rise from baseline and the policy's limits, at their edges."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message
from sessions import dosing
from sessions.models import DosingPolicy, DosingRecord, VitalsEntry
from sessions.monitoring.models import VitalsAlert, VitalsAlertKind
from sessions.monitoring.services import VITALS_ALERT_TEMPLATE, vitals_alert_acknowledge
from sessions.monitoring.thresholds import Reading, vitals_breaches

pytestmark = pytest.mark.django_db

CALM = {
    "blood_pressure_systolic": 120,
    "blood_pressure_diastolic": 80,
    "heart_rate": 70,
    "spo2": 98,
}


def kinds(
    policy: DosingPolicy, *, baseline: tuple[int, int] = (120, 80), **reading: int
) -> set[str]:
    values = {**CALM, **reading}
    return {
        breach.kind
        for breach in vitals_breaches(
            Reading(**values),
            baseline_systolic=baseline[0],
            baseline_diastolic=baseline[1],
            policy=policy,
        )
    }


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        # Rise from baseline 120/80: >= 40 systolic, >= 25 diastolic (label figures).
        ({"blood_pressure_systolic": 159}, set()),
        ({"blood_pressure_systolic": 160}, {VitalsAlertKind.SYSTOLIC_RISE}),
        ({"blood_pressure_diastolic": 104}, set()),
        ({"blood_pressure_diastolic": 105}, {VitalsAlertKind.DIASTOLIC_RISE}),
        # SpO2 < 92, heart rate > 120 or < 50, respiratory rate < 10 (policy examples).
        ({"spo2": 92}, set()),
        ({"spo2": 91}, {VitalsAlertKind.SPO2_LOW}),
        ({"heart_rate": 120}, set()),
        ({"heart_rate": 121}, {VitalsAlertKind.HEART_RATE_HIGH}),
        ({"heart_rate": 50}, set()),
        ({"heart_rate": 49}, {VitalsAlertKind.HEART_RATE_LOW}),
        ({"respiratory_rate": 10}, set()),
        ({"respiratory_rate": 9}, {VitalsAlertKind.RESPIRATORY_RATE_LOW}),
    ],
)
def test_alert_limits_hold_at_their_edges(reading: dict[str, int], expected: set[str]) -> None:
    assert kinds(DosingPolicy.current(), **reading) == expected


def test_absolute_blood_pressure_limits_hold_at_180_and_110_whatever_the_baseline() -> None:
    policy = DosingPolicy.current()
    high = (170, 100)  # a high baseline: the rise alone would not alert
    assert kinds(policy, baseline=high, blood_pressure_systolic=179) == set()
    assert kinds(policy, baseline=high, blood_pressure_systolic=180) == {
        VitalsAlertKind.SYSTOLIC_HIGH
    }
    assert kinds(policy, baseline=high, blood_pressure_diastolic=109) == set()
    assert kinds(policy, baseline=high, blood_pressure_diastolic=110) == {
        VitalsAlertKind.DIASTOLIC_HIGH
    }


def test_without_a_baseline_only_the_absolute_limits_apply() -> None:
    breaches = vitals_breaches(
        Reading(**{**CALM, "blood_pressure_systolic": 175}),
        baseline_systolic=None,
        baseline_diastolic=None,
        policy=DosingPolicy.current(),
    )
    assert breaches == []


def test_the_limits_are_the_clinics_policy() -> None:
    policy = DosingPolicy.current()
    policy.alert_systolic_at_or_above = 170
    policy.save()
    assert kinds(DosingPolicy.current(), baseline=(150, 80), blood_pressure_systolic=170) == {
        VitalsAlertKind.SYSTOLIC_HIGH
    }


def _with_baseline(record: DosingRecord) -> DosingRecord:
    readiness = dosing.readiness_for(record.appointment)
    readiness.baseline_systolic = 120
    readiness.baseline_diastolic = 80
    readiness.save()
    record.refresh_from_db()
    return record


def _vitals(record: DosingRecord, by: User, **values: int) -> VitalsEntry:
    return dosing.vitals_record(record=record, taken_at=timezone.now(), by=by, **{**CALM, **values})


def test_a_blood_pressure_rise_raises_an_alert_and_an_urgent_message_to_the_prescriber(
    record: DosingRecord, therapist: User, prescriber: User
) -> None:
    _with_baseline(record)
    entry = _vitals(record, therapist, blood_pressure_systolic=162)
    alert = VitalsAlert.objects.get()
    assert (alert.vitals, alert.kind, alert.is_open) == (entry, VitalsAlertKind.SYSTOLIC_RISE, True)
    assert "162" in alert.message
    assert "42 mmHg above baseline 120" in alert.message
    message = Message.objects.get(template_key=VITALS_ALERT_TEMPLATE)
    assert (message.recipient_user, message.urgent, message.essential) == (prescriber, True, True)
    # Ids only: no name or reading in the outbox row.
    assert message.refs == {"record": str(record.uuid)}
    assert record.appointment.patient.display_name not in str(message.idempotency_key)
    rendered = message_render(message)
    assert rendered is not None
    assert f"/sessions/dosing/{record.uuid}/" in rendered.text
    assert "162" not in rendered.text
    assert AuditEvent.objects.filter(
        object_id=str(alert.uuid), detail="vitals alert raised", actor=therapist
    ).exists()


def test_a_normal_reading_raises_nothing(record: DosingRecord, therapist: User) -> None:
    _with_baseline(record)
    _vitals(record, therapist)
    assert not VitalsAlert.objects.exists()
    assert not Message.objects.filter(template_key=VITALS_ALERT_TEMPLATE).exists()


def test_an_alert_stays_open_until_a_clinician_acknowledges_it_with_the_action_taken(
    record: DosingRecord, therapist: User, prescriber: User, front_desk: User
) -> None:
    _with_baseline(record)
    _vitals(record, therapist, spo2=88)
    alert = VitalsAlert.objects.get()
    with pytest.raises(ValidationError, match="Say what was done"):
        vitals_alert_acknowledge(alert=alert, action_taken="  ", by=prescriber)
    with pytest.raises(ValidationError, match="Only a clinician"):
        vitals_alert_acknowledge(alert=alert, action_taken="Oxygen", by=front_desk)
    alert.refresh_from_db()
    assert alert.is_open
    vitals_alert_acknowledge(alert=alert, action_taken="Oxygen 2 L/min; SpO2 96", by=prescriber)
    alert.refresh_from_db()
    assert not alert.is_open
    assert (alert.acknowledged_by, alert.action_taken) == (prescriber, "Oxygen 2 L/min; SpO2 96")
    assert AuditEvent.objects.filter(
        object_id=str(alert.uuid), detail="vitals alert acknowledged", actor=prescriber
    ).exists()
    with pytest.raises(ValidationError, match="already acknowledged"):
        vitals_alert_acknowledge(alert=alert, action_taken="again", by=prescriber)
