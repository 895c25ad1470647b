from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from intake.models import Patient
from kap_clinic.accounts.models import User
from sessions import services
from sessions.availability import course_plan, free_slots
from sessions.models import (
    Appointment,
    AppointmentKind,
    Course,
    CourseStatus,
    Location,
    Room,
    StaffTimeOff,
    StaffWorkingHours,
)
from tests.kap_sessions.conftest import NEW_YORK, at

pytestmark = pytest.mark.django_db


def test_free_slots_start_at_opening_time_and_skip_booked_time(
    clinic: Location, room: Room, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.PREPARATION,
        room=room,
        starts_at=at(2027, 1, 4, 8),
        ends_at=at(2027, 1, 4, 9),
        therapist=therapist,
        by=front_desk,
    )
    slots = free_slots(
        kind=AppointmentKind.INTEGRATION,
        patient=cleared_patient,
        location=clinic,
        duration=timedelta(minutes=60),
        therapist=therapist,
        start_day=date(2027, 1, 4),
        limit=3,
    )
    assert [slot.starts_at for slot in slots] == [
        at(2027, 1, 4, 9),
        at(2027, 1, 4, 9, 15),
        at(2027, 1, 4, 9, 30),
    ]


def test_free_slots_respect_working_hours_and_time_off(
    clinic: Location, room: Room, cleared_patient: Patient, therapist: User
) -> None:
    monday = date(2027, 1, 4)
    StaffWorkingHours.objects.create(
        staff=therapist, location=clinic, weekday=0, starts_at=time(13), ends_at=time(17)
    )
    StaffWorkingHours.objects.create(
        staff=therapist, location=clinic, weekday=2, starts_at=time(9), ends_at=time(12)
    )
    StaffTimeOff.objects.create(
        staff=therapist, starts_at=at(2027, 1, 4, 0), ends_at=at(2027, 1, 5, 0)
    )
    slots = free_slots(
        kind=AppointmentKind.INTEGRATION,
        patient=cleared_patient,
        location=clinic,
        duration=timedelta(minutes=60),
        therapist=therapist,
        start_day=monday,
        limit=1,
    )
    # Monday is time off; Tuesday no hours; Wednesday from 09:00.
    assert slots[0].starts_at == at(2027, 1, 6, 9)


def test_a_full_location_offers_nothing(
    clinic: Location, cleared_patient: Patient, therapist: User
) -> None:
    slots = free_slots(
        kind=AppointmentKind.DOSING,
        patient=cleared_patient,
        location=clinic,  # no treatment room at all
        duration=timedelta(minutes=150),
        therapist=therapist,
        start_day=date(2027, 1, 4),
    )
    assert slots == []


def test_a_course_plan_starts_with_preparation_spaces_doses_and_follows_each_with_integration(
    course: Course, room: Room, room_two: Room
) -> None:
    course.start_date = date(2027, 1, 4)
    course.save()
    plan = course_plan(course=course)
    assert plan.warnings == []
    kinds = [proposal.kind for proposal in plan.proposals]
    assert kinds[0] == AppointmentKind.PREPARATION
    assert kinds.count(AppointmentKind.DOSING) == 6
    assert kinds.count(AppointmentKind.INTEGRATION) == 6
    doses = [p for p in plan.proposals if p.kind == AppointmentKind.DOSING]
    assert doses[0].starts_at > plan.proposals[0].ends_at
    for earlier, later in zip(doses, doses[1:], strict=False):
        assert later.starts_at - earlier.starts_at >= timedelta(hours=44)
    for dose in doses:
        dose_day = dose.starts_at.astimezone(NEW_YORK).date()
        integration_days = [
            (p.starts_at.astimezone(NEW_YORK).date() - dose_day).days
            for p in plan.proposals
            if p.kind == AppointmentKind.INTEGRATION
        ]
        assert any(1 <= days <= 3 for days in integration_days)
        assert dose.medical_monitor == course.prescriber
        assert dose.room.kind == "treatment"


def test_confirming_a_plan_books_every_appointment_and_activates_the_course(
    course: Course, room: Room
) -> None:
    course.start_date = date(2027, 1, 4)
    course.save()
    plan = course_plan(course=course)
    booked = services.course_confirm(course=course, proposals=plan.proposals, by=course.created_by)
    assert len(booked) == len(plan.proposals) == 13
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_the_plan_page_proposes_and_staff_confirm_adjusted_times(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    course.start_date = date(2027, 1, 4)
    course.save()
    client.force_login(front_desk)
    page = client.get(f"/sessions/courses/{course.uuid}/plan/")
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
    }
    for index, form in enumerate(formset.forms):
        start = form.initial["starts_at"]
        end = form.initial["ends_at"]
        if index == 0:  # staff move the preparation an hour later
            start, end = start + timedelta(hours=1), end + timedelta(hours=1)
        data.update(
            {
                f"form-{index}-include": "on",
                f"form-{index}-kind": form.initial["kind"],
                f"form-{index}-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                f"form-{index}-ends_at": end.strftime("%Y-%m-%dT%H:%M"),
                f"form-{index}-room": str(form.initial["room"].pk),
            }
        )
    response = client.post(f"/sessions/courses/{course.uuid}/plan/", data)
    assert response.status_code == 302
    preparation = Appointment.objects.get(kind=AppointmentKind.PREPARATION)
    assert preparation.starts_at == at(2027, 1, 4, 9)


def test_availability_page_lists_the_next_free_slots(
    client: Client, clinic: Location, room: Room, cleared_patient: Patient, front_desk: User
) -> None:
    client.force_login(front_desk)
    response = client.get(
        "/sessions/availability/",
        {
            "kind": AppointmentKind.FOLLOW_UP,
            "patient": cleared_patient.pk,
            "location": clinic.pk,
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 200
    assert len(response.context["slots"]) == 10


def test_the_course_page_links_clinicians_to_the_integration_view(
    client: Client, course: Course, front_desk: User
) -> None:
    link = f"/integration/courses/{course.uuid}/"
    client.force_login(course.therapist)
    assert link in client.get(f"/sessions/courses/{course.uuid}/").content.decode()
    client.force_login(front_desk)
    page = client.get(f"/sessions/courses/{course.uuid}/")
    assert page.status_code == 200
    assert link not in page.content.decode()


def test_a_course_overlapping_another_course_of_the_patient_is_refused_and_nothing_is_booked(
    course: Course, room: Room
) -> None:
    course.start_date = date(2027, 1, 4)
    course.save()
    services.course_confirm(
        course=course, proposals=course_plan(course=course).proposals, by=course.created_by
    )
    second = Course.objects.create(
        patient=course.patient,
        protocol=course.protocol,
        location=course.location,
        prescriber=course.prescriber,
        therapist=course.therapist,
        planned_dose=course.planned_dose,
        start_date=date(2027, 1, 11),
        created_by=course.created_by,
    )
    proposals = course_plan(course=second).proposals
    before = Appointment.objects.count()
    with pytest.raises(ValidationError, match="overlap the patient's course"):
        services.course_confirm(course=second, proposals=proposals, by=course.created_by)
    assert Appointment.objects.count() == before
    second.refresh_from_db()
    assert second.status == CourseStatus.PLANNED


def test_a_dosing_session_of_one_course_inside_another_course_is_refused(
    course: Course, room: Room
) -> None:
    course.start_date = date(2027, 1, 4)
    course.save()
    services.course_confirm(
        course=course, proposals=course_plan(course=course).proposals, by=course.created_by
    )
    doses = course.appointments.filter(kind=AppointmentKind.DOSING).order_by("starts_at")
    second = Course.objects.create(
        patient=course.patient,
        protocol=course.protocol,
        location=course.location,
        prescriber=course.prescriber,
        therapist=course.therapist,
        planned_dose=course.planned_dose,
        start_date=date(2027, 1, 11),
        created_by=course.created_by,
    )
    between = doses[0].starts_at + timedelta(days=1)
    before = Appointment.objects.count()
    with pytest.raises(ValidationError, match="overlap the patient's course"):
        services.appointment_book(
            patient=course.patient,
            kind=AppointmentKind.DOSING,
            room=room,
            starts_at=between,
            ends_at=between + timedelta(hours=2),
            course=second,
            medical_monitor=course.prescriber,
            therapist=course.therapist,
            by=course.created_by,
        )
    assert Appointment.objects.count() == before
