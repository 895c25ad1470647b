"""The treatment plan is the prescriber's: front desk proposes the schedule, the prescriber sets
the dose and signs the plan (after a confirmation step), and no dose starts before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.confirm import CONFIRMED
from sessions import dosing, services
from sessions.models import (
    AppointmentKind,
    Course,
    DosingRecord,
    DosingStatus,
    Location,
    Protocol,
    Room,
)
from tests.kap_sessions.conftest import override_every_no_go

pytestmark = pytest.mark.django_db


def _widen_dose_range(course: Course) -> None:
    Protocol.objects.filter(pk=course.protocol_id).update(
        dose_minimum=Decimal("0.5"), dose_maximum=Decimal("1.0")
    )
    course.protocol.refresh_from_db()


def test_front_desk_proposes_a_course_without_setting_the_dose(
    client: Client,
    cleared_patient: Patient,
    front_desk: User,
    iv_protocol: Protocol,
    clinic: Location,
) -> None:
    client.force_login(front_desk)
    page = client.get(reverse("sessions:course_create", args=[cleared_patient.uuid]))
    assert page.status_code == 200
    assert 'name="planned_dose"' not in page.content.decode()
    course = services.course_create(
        patient=cleared_patient,
        protocol=iv_protocol,
        location=clinic,
        prescriber=cleared_patient.prescriber,
        therapist=cleared_patient.therapist,
        start_date=date(2027, 3, 1),
        by=front_desk,
    )
    assert course.planned_dose == iv_protocol.dose_default
    assert not course.plan_is_signed


def test_only_a_prescriber_signs_the_plan_and_the_signature_is_audited(
    course: Course, front_desk: User, prescriber: User
) -> None:
    Course.objects.filter(pk=course.pk).update(plan_signed_at=None, plan_signed_by=None)
    _widen_dose_range(course)
    with pytest.raises(ValidationError, match="Only a prescriber"):
        services.course_plan_sign(
            course=course, protocol=course.protocol, planned_dose="0.5", by=front_desk
        )
    with pytest.raises(ValidationError, match="between"):
        services.course_plan_sign(
            course=course, protocol=course.protocol, planned_dose="99", by=prescriber
        )
    signed = services.course_plan_sign(
        course=course, protocol=course.protocol, planned_dose="0.75", by=prescriber
    )
    assert signed.plan_is_signed
    assert signed.plan_signed_by == prescriber
    assert signed.planned_dose == Decimal("0.75")
    assert AuditEvent.objects.filter(
        object_id=str(course.uuid), actor=prescriber, detail__startswith="treatment plan signed"
    ).exists()


def test_a_dosing_session_does_not_start_without_a_signed_plan(
    course: Course, room: Room, front_desk: User
) -> None:
    Course.objects.filter(pk=course.pk).update(plan_signed_at=None, plan_signed_by=None)
    course.refresh_from_db()
    start = timezone.now() - timedelta(minutes=10)
    appointment = services.appointment_book(
        patient=course.patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        course=course,
        medical_monitor=course.prescriber,
        therapist=course.therapist,
        by=front_desk,
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    record = DosingRecord.objects.get(appointment=appointment)
    readiness = dosing.readiness_for(appointment)
    readiness.weight_kg = Decimal("70")
    readiness.save()
    override_every_no_go(readiness, course.prescriber)
    with pytest.raises(ValidationError, match="treatment plan is not signed"):
        dosing.dosing_start(record=record, by=course.prescriber)
    record.refresh_from_db()
    assert record.status != DosingStatus.IN_PROGRESS
    services.course_plan_sign(
        course=course, protocol=course.protocol, planned_dose="0.5", by=course.prescriber
    )
    assert dosing.dosing_start(record=record, by=course.prescriber).status == (
        DosingStatus.IN_PROGRESS
    )


def test_the_prescriber_signs_on_the_course_page_after_confirming(
    client: Client, course: Course, front_desk: User
) -> None:
    Course.objects.filter(pk=course.pk).update(plan_signed_at=None, plan_signed_by=None)
    _widen_dose_range(course)
    url = reverse("sessions:course_plan_sign", args=[course.uuid])
    data = {"protocol": course.protocol.pk, "planned_dose": "0.6"}
    client.force_login(front_desk)
    assert (
        "Sign the treatment plan"
        not in client.get(reverse("sessions:course_detail", args=[course.uuid])).content.decode()
    )
    assert client.post(url, data).status_code == 403
    client.force_login(course.prescriber)
    page = client.get(reverse("sessions:course_detail", args=[course.uuid])).content.decode()
    assert "Not signed yet" in page
    asked = client.post(url, data)
    assert asked.status_code == 200
    assert "Sign this treatment plan?" in asked.content.decode()
    course.refresh_from_db()
    assert not course.plan_is_signed
    done = client.post(url, {**data, CONFIRMED: "yes"})
    assert done.status_code == 302
    course.refresh_from_db()
    assert course.plan_is_signed
    assert course.planned_dose == Decimal("0.6")
