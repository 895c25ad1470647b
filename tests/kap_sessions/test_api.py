from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions import services
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    DosingRecord,
    Location,
    Protocol,
    Room,
)
from tests.factories import PatientFactory, RoomFactory
from tests.kap_sessions.conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 50])
def test_the_appointment_list_filters_by_date_and_holds_its_query_budget(
    client: Client,
    clinic: Location,
    front_desk: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    for number in range(count):
        services.appointment_book(
            patient=PatientFactory(status=PatientStatus.CLEARED),
            kind=AppointmentKind.FOLLOW_UP,
            room=RoomFactory(location=clinic),
            starts_at=at(2027, 1, 4, 9) + timedelta(minutes=number),
            ends_at=at(2027, 1, 4, 10),
            by=front_desk,
        )
    services.appointment_book(
        patient=PatientFactory(status=PatientStatus.CLEARED),
        kind=AppointmentKind.FOLLOW_UP,
        room=RoomFactory(location=clinic),
        starts_at=at(2027, 1, 6, 9),
        ends_at=at(2027, 1, 6, 10),
        by=front_desk,
    )
    client.force_login(front_desk)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get("/api/v1/appointments/?date_from=2027-01-04&date_to=2027-01-04")
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert client.get("/api/v1/appointments/?date_from=2027-01-05").json()["count"] == 1


def test_booking_and_cancelling_through_the_api(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    client.force_login(front_desk)
    body = {
        "patient": str(course.patient.uuid),
        "kind": "dosing",
        "room": str(room.uuid),
        "starts_at": "2027-01-04T14:00:00Z",
        "ends_at": "2027-01-04T16:30:00Z",
        "course": str(course.uuid),
        "medical_monitor": str(course.prescriber.uuid),
        "therapist": str(course.therapist.uuid),
    }
    booked = client.post("/api/v1/appointments/", body, content_type="application/json")
    assert booked.status_code == 201, booked.content
    too_close = client.post(
        "/api/v1/appointments/",
        {**body, "starts_at": "2027-01-05T17:00:00Z", "ends_at": "2027-01-05T19:00:00Z"},
        content_type="application/json",
    )
    assert too_close.status_code == 400
    assert "at least 44 hours apart" in too_close.json()["detail"]
    uuid = booked.json()["uuid"]
    no_reason = client.post(
        f"/api/v1/appointments/{uuid}/cancel/", {}, content_type="application/json"
    )
    assert no_reason.status_code == 400
    cancelled = client.post(
        f"/api/v1/appointments/{uuid}/cancel/",
        {"reason": "unwell"},
        content_type="application/json",
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == AppointmentStatus.CANCELLED
    again = client.post(
        f"/api/v1/appointments/{uuid}/cancel/", {"reason": "twice"}, content_type="application/json"
    )
    assert again.status_code == 400


def test_patients_list_only_their_own_upcoming_sessions_and_cannot_book(
    client: Client,
    course: Course,
    room: Room,
    room_two: Room,
    front_desk: User,
    patient_user: User,
    other_patient: Patient,
) -> None:
    future = timezone.now() + timedelta(days=3)
    for patient, when, the_room in (
        (course.patient, future, room),
        (course.patient, timezone.now() - timedelta(days=3), room),
        (other_patient, future, room_two),
    ):
        services.appointment_book(
            patient=patient,
            kind=AppointmentKind.FOLLOW_UP,
            room=the_room,
            starts_at=when,
            ends_at=when + timedelta(hours=1),
            by=front_desk,
        )
    client.force_login(patient_user)
    listed = client.get("/api/v1/appointments/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["patient"] == str(course.patient.uuid)
    refused = client.post("/api/v1/appointments/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert client.get("/api/v1/courses/").status_code == 403
    assert client.get("/api/v1/dosing-records/").status_code == 403


def test_courses_are_created_through_the_api_with_the_services_rules(
    client: Client,
    cleared_patient: Patient,
    iv_protocol: Protocol,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> None:
    client.force_login(front_desk)
    body = {
        "patient": str(cleared_patient.uuid),
        "protocol": str(iv_protocol.uuid),
        "location": str(clinic.uuid),
        "prescriber": str(prescriber.uuid),
        "therapist": str(therapist.uuid),
        "planned_dose": "0.7",
        "start_date": "2027-01-04",
    }
    refused = client.post("/api/v1/courses/", body, content_type="application/json")
    assert refused.status_code == 400
    assert "planned dose must be between" in refused.json()["detail"]
    created = client.post(
        "/api/v1/courses/", {**body, "planned_dose": "0.5"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert client.get("/api/v1/courses/").json()["count"] == 1


def test_the_planned_dose_shows_in_the_courses_api_only_to_roles_that_see_it_on_the_page(
    client: Client,
    course: Course,
    prescriber: User,
    therapist: User,
    front_desk: User,
    clinic_admin: User,
) -> None:
    url = f"/api/v1/courses/{course.uuid}/"
    client.force_login(prescriber)
    assert client.get(url).json()["planned_dose"] == f"{course.planned_dose:.3f}"
    for user in (therapist, front_desk, clinic_admin):
        client.force_login(user)
        assert client.get(url).json()["planned_dose"] is None
        assert client.get("/api/v1/courses/").json()["results"][0]["planned_dose"] is None
        page = client.get(reverse("sessions:course_detail", args=[course.uuid])).content.decode()
        assert "Planned dose" not in page


def test_dosing_records_in_the_api_follow_the_roles_and_are_audited(
    client: Client,
    record: DosingRecord,
    prescriber: User,
    therapist: User,
    front_desk: User,
    outsider: User,
) -> None:
    url = f"/api/v1/dosing-records/{record.uuid}/"
    client.force_login(prescriber)
    full = client.get(url).json()
    assert full["doses"][0]["dose_mg"] == "35.00"
    assert full["course_cumulative_dose_mg"] == 35.0
    assert AuditEvent.objects.filter(object_id=str(record.uuid), actor=prescriber).exists()
    client.force_login(therapist)
    monitoring = client.get(url).json()
    assert "doses" not in monitoring
    assert "vitals" in monitoring
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/dosing-records/").json()["count"] == 0


def test_the_api_schema_generates(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/appointments/" in response.content
    assert b"/api/v1/dosing-records/" in response.content


def test_appointments_of_another_care_team_are_not_found(
    client: Client,
    room: Room,
    other_patient: Patient,
    front_desk: User,
    outsider: User,
    therapist: User,
) -> None:
    appointment: Appointment = services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        by=front_desk,
    )
    client.force_login(therapist)
    assert client.get(f"/api/v1/appointments/{appointment.uuid}/").status_code == 404
    cancel = client.post(
        f"/api/v1/appointments/{appointment.uuid}/cancel/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert cancel.status_code == 404


@pytest.mark.parametrize("count", [1, 50])
def test_the_course_and_dosing_record_lists_hold_their_query_budget(
    client: Client,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    from tests.factories import CourseFactory, ProtocolFactory

    protocol = ProtocolFactory()
    start = at(2027, 1, 4, 9)
    for number in range(count):
        patient = PatientFactory(
            status=PatientStatus.CLEARED, prescriber=prescriber, therapist=therapist
        )
        course = CourseFactory(
            patient=patient,
            protocol=protocol,
            location=clinic,
            prescriber=prescriber,
            therapist=therapist,
            created_by=front_desk,
        )
        appointment = Appointment.objects.create(
            patient=patient,
            course=course,
            kind=AppointmentKind.DOSING,
            location=clinic,
            room=RoomFactory(location=clinic),
            starts_at=start + timedelta(days=number),
            ends_at=start + timedelta(days=number, hours=2),
        )
        record = DosingRecord.objects.create(appointment=appointment, status="in_progress")
        record.doses.create(
            drug="ketamine",
            route="iv",
            dose_mg=35,
            lot_number="L",
            started_at=start,
            ended_at=start,
            given_by=prescriber,
        )
        record.vitals.create(
            taken_at=start,
            blood_pressure_systolic=120,
            blood_pressure_diastolic=80,
            heart_rate=70,
            spo2=98,
            recorded_by=therapist,
        )
    client.force_login(prescriber)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        records = client.get("/api/v1/dosing-records/")
    assert records.json()["count"] == count
    assert records.json()["results"][0]["course_cumulative_dose_mg"] == 35.0
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        courses = client.get("/api/v1/courses/")
    assert courses.json()["count"] == count
