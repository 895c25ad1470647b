"""Sane bookings: nothing in the past, inside opening and working hours and not over time off
(a clinic admin may override with a reason, audited), a course not before today and one course
at a time per patient. Each rule through the service, the page and the API."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions import services
from sessions.models import (
    Appointment,
    AppointmentKind,
    Course,
    CourseStatus,
    Location,
    OpeningHours,
    Protocol,
    Room,
    StaffTimeOff,
    StaffWorkingHours,
)
from tests.kap_sessions.conftest import NEW_YORK, at

pytestmark = pytest.mark.django_db


def book(patient: Patient, room: Room, start: object, by: User, **extra: object) -> Appointment:
    return services.appointment_book(
        patient=patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=start,  # type: ignore[arg-type]
        ends_at=start + timedelta(hours=1),  # type: ignore[operator]
        by=by,
        schedule_rules=True,
        **extra,  # type: ignore[arg-type]
    )


def yesterday_at_ten() -> object:
    day = timezone.now().astimezone(NEW_YORK).date() - timedelta(days=1)
    return at(day.year, day.month, day.day, 10)


def test_an_appointment_yesterday_is_refused(
    cleared_patient: Patient, room: Room, front_desk: User
) -> None:
    with pytest.raises(ValidationError, match="is in the past"):
        book(cleared_patient, room, yesterday_at_ten(), front_desk)
    assert not Appointment.objects.exists()


def test_a_clinic_admin_records_a_past_appointment_with_a_reason_and_it_is_audited(
    cleared_patient: Patient, room: Room, clinic_admin: User
) -> None:
    with pytest.raises(ValidationError, match="clinic admin can book it anyway"):
        book(cleared_patient, room, yesterday_at_ten(), clinic_admin)
    appointment = book(
        cleared_patient,
        room,
        yesterday_at_ten(),
        clinic_admin,
        override_reason="paper schedule during the outage",
    )
    audit = AuditEvent.objects.filter(object_id=str(appointment.uuid), actor=clinic_admin)
    details = list(audit.values_list("detail", flat=True))
    assert any("is in the past" in d and "paper schedule during the outage" in d for d in details)


def test_front_desk_cannot_override_the_schedule_rules(
    cleared_patient: Patient, room: Room, front_desk: User
) -> None:
    with pytest.raises(ValidationError, match="Only a clinic admin"):
        book(cleared_patient, room, yesterday_at_ten(), front_desk, override_reason="please")


def test_a_closed_sunday_at_23_is_refused(
    cleared_patient: Patient, room: Room, clinic: Location, front_desk: User
) -> None:
    OpeningHours.objects.filter(location=clinic, weekday=6).delete()  # closed on Sundays
    with pytest.raises(ValidationError, match="closed on Sundays"):
        book(cleared_patient, room, at(2027, 1, 3, 23), front_desk)
    with pytest.raises(ValidationError, match="outside those hours"):
        book(cleared_patient, room, at(2027, 1, 4, 17, 30), front_desk)  # Monday, closes 18:00
    assert book(cleared_patient, room, at(2027, 1, 4, 17), front_desk).pk


def test_a_clinician_outside_their_working_hours_is_refused_unless_an_admin_overrides(
    cleared_patient: Patient,
    room: Room,
    clinic: Location,
    therapist: User,
    front_desk: User,
    clinic_admin: User,
) -> None:
    StaffWorkingHours.objects.create(
        staff=therapist, location=clinic, weekday=0, starts_at=time(9), ends_at=time(13)
    )
    with pytest.raises(ValidationError, match="works 09:00-13:00 on Mondays"):
        book(cleared_patient, room, at(2027, 1, 4, 14), front_desk, therapist=therapist)
    with pytest.raises(ValidationError, match="does not work at Test Clinic on Tuesdays"):
        book(cleared_patient, room, at(2027, 1, 5, 10), front_desk, therapist=therapist)
    assert book(
        cleared_patient,
        room,
        at(2027, 1, 4, 14),
        clinic_admin,
        therapist=therapist,
        override_reason="covering for a colleague",
    ).pk


def test_a_clinician_on_time_off_is_refused_unless_an_admin_overrides(
    cleared_patient: Patient, room: Room, therapist: User, front_desk: User, clinic_admin: User
) -> None:
    StaffTimeOff.objects.create(
        staff=therapist, starts_at=at(2027, 1, 4, 0), ends_at=at(2027, 1, 5, 0)
    )
    with pytest.raises(ValidationError, match="is off at that time"):
        book(cleared_patient, room, at(2027, 1, 4, 10), front_desk, therapist=therapist)
    assert book(
        cleared_patient,
        room,
        at(2027, 1, 4, 10),
        clinic_admin,
        therapist=therapist,
        override_reason="came in for this patient",
    ).pk


def test_moving_an_appointment_into_the_past_is_refused(
    cleared_patient: Patient, room: Room, front_desk: User
) -> None:
    appointment = book(cleared_patient, room, at(2027, 1, 4, 10), front_desk)
    start = yesterday_at_ten()
    with pytest.raises(ValidationError, match="is in the past"):
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=start,  # type: ignore[arg-type]
            ends_at=start + timedelta(hours=1),  # type: ignore[operator]
            by=front_desk,
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(2027, 1, 4, 10)


def test_a_course_cannot_start_before_today(
    cleared_patient: Patient,
    iv_protocol: Protocol,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> None:
    with pytest.raises(ValidationError, match="cannot start in the past"):
        services.course_create(
            patient=cleared_patient,
            protocol=iv_protocol,
            location=clinic,
            prescriber=prescriber,
            therapist=therapist,
            planned_dose=iv_protocol.dose_default,
            start_date=timezone.now().astimezone(NEW_YORK).date() - timedelta(days=1),
            by=front_desk,
        )
    assert not Course.objects.exists()


def test_a_course_whose_first_appointment_is_before_today_is_not_confirmed(
    course: Course, room: Room, front_desk: User
) -> None:
    start = yesterday_at_ten()
    proposal = services.ProposedAppointment(
        kind=AppointmentKind.PREPARATION,
        starts_at=start,  # type: ignore[arg-type]
        ends_at=start + timedelta(hours=1),  # type: ignore[operator]
        room=room,
        medical_monitor=None,
        therapist=course.therapist,
    )
    with pytest.raises(ValidationError, match="before today"):
        services.course_confirm(course=course, proposals=[proposal], by=front_desk)
    course.refresh_from_db()
    assert course.status == CourseStatus.PLANNED


@pytest.mark.parametrize("status", [CourseStatus.PLANNED, CourseStatus.ACTIVE])
def test_a_second_course_over_a_current_one_is_refused(
    course: Course, front_desk: User, status: str
) -> None:
    Course.objects.filter(id=course.id).update(status=status)
    with pytest.raises(ValidationError, match="one course at a time"):
        services.course_create(
            patient=course.patient,
            protocol=course.protocol,
            location=course.location,
            prescriber=course.prescriber,
            therapist=course.therapist,
            planned_dose=course.protocol.dose_default,
            start_date=date(2027, 3, 1),
            by=front_desk,
        )
    assert Course.objects.filter(patient=course.patient).count() == 1


def test_a_new_course_after_a_completed_one_is_accepted(course: Course, front_desk: User) -> None:
    Course.objects.filter(id=course.id).update(status=CourseStatus.COMPLETED)
    new = services.course_create(
        patient=course.patient,
        protocol=course.protocol,
        location=course.location,
        prescriber=course.prescriber,
        therapist=course.therapist,
        planned_dose=course.protocol.dose_default,
        start_date=date(2027, 3, 1),
        by=front_desk,
    )
    assert new.status == CourseStatus.PLANNED


# ---- the page and the API ------------------------------------------------------------------


def test_the_booking_page_shows_why_a_past_time_is_refused(
    client: Client, cleared_patient: Patient, room: Room, front_desk: User
) -> None:
    client.force_login(front_desk)
    start = yesterday_at_ten()
    response = client.post(
        reverse("sessions:appointment_book", args=[cleared_patient.uuid]),
        {
            "kind": AppointmentKind.INTEGRATION,
            "room": room.pk,
            "starts_at": f"{start:%Y-%m-%dT%H:%M}",  # type: ignore[str-format]
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 400
    assert "is in the past" in response.content.decode()
    assert "Reason to book outside the schedule rules" not in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_api_answers_400_with_the_reason_for_a_closed_day(
    client: Client, cleared_patient: Patient, room: Room, clinic: Location, front_desk: User
) -> None:
    OpeningHours.objects.filter(location=clinic, weekday=6).delete()
    client.force_login(front_desk)
    response = client.post(
        "/api/v1/appointments/",
        {
            "patient": str(cleared_patient.uuid),
            "kind": AppointmentKind.INTEGRATION,
            "room": str(room.uuid),
            "starts_at": "2027-01-04T04:00:00Z",  # Sunday 23:00 in New York
            "ends_at": "2027-01-04T05:00:00Z",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "closed on Sundays" in response.json()["detail"]


def test_the_api_answers_400_for_a_second_course(
    client: Client, course: Course, front_desk: User
) -> None:
    client.force_login(front_desk)
    response = client.post(
        "/api/v1/courses/",
        {
            "patient": str(course.patient.uuid),
            "protocol": str(course.protocol.uuid),
            "location": str(course.location.uuid),
            "prescriber": str(course.prescriber.uuid),
            "therapist": str(course.therapist.uuid),
            "planned_dose": "0.5",
            "start_date": "2027-03-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "one course at a time" in response.json()["detail"]


def test_the_api_lets_a_clinic_admin_record_a_past_appointment_with_a_reason(
    client: Client, cleared_patient: Patient, room: Room, clinic_admin: User
) -> None:
    client.force_login(clinic_admin)
    start = yesterday_at_ten()
    payload = {
        "patient": str(cleared_patient.uuid),
        "kind": AppointmentKind.INTEGRATION,
        "room": str(room.uuid),
        "starts_at": start.isoformat(),  # type: ignore[attr-defined]
        "ends_at": (start + timedelta(hours=1)).isoformat(),  # type: ignore[operator]
    }
    refused = client.post("/api/v1/appointments/", payload, content_type="application/json")
    assert refused.status_code == 400
    accepted = client.post(
        "/api/v1/appointments/",
        {**payload, "override_reason": "entered from the paper log"},
        content_type="application/json",
    )
    assert accepted.status_code == 201, accepted.content
