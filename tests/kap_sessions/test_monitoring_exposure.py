"""Exposure: cumulative dose per course, across courses and over 90 days; frequency warnings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from sessions.models import DoseAdministration, DosingPolicy, DosingRecord
from sessions.monitoring.selectors import patient_exposure
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def _earlier_session(record: DosingRecord, *, days_ago: int, mg: str, other_course: bool) -> None:
    """A past dosing session of the same patient, dosed ``days_ago``."""
    from sessions.models import Appointment

    source = record.appointment
    course = source.course
    if other_course:
        course = CourseFactory(
            patient=source.patient,
            protocol=course.protocol,
            location=source.location,
            prescriber=course.prescriber,
            therapist=course.therapist,
            created_by=course.created_by,
        )
    when = timezone.now() - timedelta(days=days_ago)
    appointment = Appointment.objects.create(
        patient=source.patient,
        course=course,
        kind=source.kind,
        location=source.location,
        room=source.room,
        starts_at=when,
        ends_at=when + timedelta(hours=2),
        status="completed",
        created_by=course.created_by,
    )
    earlier = DosingRecord.objects.create(appointment=appointment, status="discharged")
    DoseAdministration.objects.create(
        dosing_record=earlier,
        drug="ketamine",
        route="iv",
        dose_mg=Decimal(mg),
        lot_number="OLD",
        started_at=when,
        ended_at=when,
        given_by=course.prescriber,
    )


def test_exposure_adds_up_per_course_across_courses_and_over_90_days(
    record: DosingRecord,
) -> None:
    _earlier_session(record, days_ago=3, mg="40", other_course=False)
    _earlier_session(record, days_ago=120, mg="50", other_course=True)
    exposure = patient_exposure(
        record.appointment.patient, now=timezone.now(), course=record.course
    )
    ketamine = "Ketamine (racemic)"
    assert exposure.this_course == {ketamine: Decimal("75")}
    assert exposure.all_courses == {ketamine: Decimal("125")}
    assert exposure.last_90_days == {ketamine: Decimal("75")}
    assert (exposure.sessions_this_course, exposure.sessions_last_7_days) == (2, 2)
    assert exposure.sessions_last_90_days == 2
    assert exposure.warnings == []


def test_more_sessions_than_the_policy_allows_in_7_days_warns(record: DosingRecord) -> None:
    policy = DosingPolicy.current()
    policy.dosing_sessions_per_7_days_maximum = 2
    policy.save()
    for days_ago in (2, 4):
        _earlier_session(record, days_ago=days_ago, mg="35", other_course=False)
    exposure = patient_exposure(record.appointment.patient, now=timezone.now())
    assert exposure.warnings == [
        "3 dosing sessions in the last 7 days: more than the clinic's limit of 2."
    ]
    # At the limit is no warning.
    policy.dosing_sessions_per_7_days_maximum = 3
    policy.save()
    assert patient_exposure(record.appointment.patient, now=timezone.now()).warnings == []


def test_the_dosing_page_shows_exposure_to_prescribers_only(
    client: Client, record: DosingRecord, prescriber: User, therapist: User
) -> None:
    _earlier_session(record, days_ago=100, mg="50", other_course=True)
    client.force_login(prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert 'data-testid="exposure"' in page
    assert "Ketamine (racemic) 85.00 mg" in page
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert 'data-testid="exposure"' not in page
