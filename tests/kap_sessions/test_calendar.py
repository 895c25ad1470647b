from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from sessions import services
from sessions.models import Appointment, AppointmentKind, AppointmentStatus, Location, Room
from tests.factories import PatientFactory, RoomFactory
from tests.kap_sessions.conftest import NEW_YORK, at

pytestmark = pytest.mark.django_db


def _fill(clinic: Location, count: int, day_start: object, by: User, therapist: User) -> None:
    """``count`` appointments on one day, each in its own room, with its own patient."""
    for number in range(count):
        room = RoomFactory(location=clinic)
        patient = PatientFactory(
            status=PatientStatus.CLEARED, prescriber=therapist, therapist=therapist
        )
        start = day_start + timedelta(minutes=5 * number)  # type: ignore[operator]
        services.appointment_book(
            patient=patient,
            kind=AppointmentKind.FOLLOW_UP,
            room=room,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            by=by,
        )


@pytest.mark.parametrize("count", [1, 50])
def test_the_calendar_day_and_week_views_hold_their_query_budget(
    client: Client,
    clinic: Location,
    front_desk: User,
    therapist: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    _fill(clinic, count, at(2027, 1, 4, 8), front_desk, therapist)
    client.force_login(front_desk)
    for view in ("day", "week"):
        with django_assert_max_num_queries(12):  # type: ignore[operator]
            response = client.get(
                "/sessions/calendar/",
                {"location": str(clinic.uuid), "date": "2027-01-04", "view": view},
            )
        assert response.status_code == 200
        assert sum(len(day) for _, day in response.context["columns"]) == count


@pytest.mark.parametrize("count", [1, 50])
def test_todays_board_holds_its_query_budget(
    client: Client,
    clinic: Location,
    front_desk: User,
    therapist: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    today = timezone.now().astimezone(NEW_YORK).replace(hour=0, minute=5, second=0, microsecond=0)
    _fill(clinic, count, today, front_desk, therapist)
    client.force_login(front_desk)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(f"/sessions/locations/{clinic.uuid}/today/")
    assert response.status_code == 200
    assert len(response.context["appointments"]) == count


def test_the_calendar_filters_by_room_and_clinician(
    client: Client,
    clinic: Location,
    room: Room,
    room_two: Room,
    cleared_patient: Patient,
    other_patient: Patient,
    therapist: User,
    front_desk: User,
) -> None:
    services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        therapist=therapist,
        by=front_desk,
    )
    services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room_two,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        by=front_desk,
    )
    client.force_login(front_desk)
    base = {"location": str(clinic.uuid), "date": "2027-01-04"}
    by_room = client.get("/sessions/calendar/", {**base, "room": str(room_two.uuid)})
    assert [a.patient for a in by_room.context["columns"][0][1]] == [other_patient]
    by_clinician = client.get("/sessions/calendar/", {**base, "clinician": str(therapist.uuid)})
    assert [a.patient for a in by_clinician.context["columns"][0][1]] == [cleared_patient]


def test_a_clinician_sees_only_their_care_teams_appointments_on_the_calendar(
    client: Client,
    clinic: Location,
    room: Room,
    other_patient: Patient,
    outsider: User,
    front_desk: User,
) -> None:
    services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        by=front_desk,
    )
    client.force_login(outsider)
    response = client.get(
        "/sessions/calendar/", {"location": str(clinic.uuid), "date": "2027-01-04"}
    )
    assert response.status_code == 200
    assert response.context["columns"][0][1] == []


def test_staff_cancel_with_a_reason_and_move_from_the_appointment_page(
    client: Client, room: Room, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    appointment = services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        therapist=therapist,
        by=front_desk,
    )
    client.force_login(front_desk)
    url = f"/sessions/appointments/{appointment.uuid}/"
    moved = client.post(url + "move/", {"starts_at": "2027-01-05T11:00", "duration_minutes": 60})
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(2027, 1, 5, 11)
    refused = client.post(url + "cancel/", {"reason": ""})
    assert refused.status_code == 400
    assert "Say why" in refused.content.decode()
    # Cancelling asks first (issue #10); the confirmed form cancels.
    cancelled = client.post(url + "cancel/", {"reason": "Patient travelling", "confirmed": "yes"})
    assert cancelled.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (
        AppointmentStatus.CANCELLED,
        "Patient travelling",
    )
    out_of_order = client.post(url + "status/", {"status": "completed"})
    assert out_of_order.status_code == 400
    assert "cannot become completed" in out_of_order.content.decode()


def test_a_page_booking_into_a_taken_slot_shows_the_conflict(
    client: Client, room: Room, cleared_patient: Patient, other_patient: Patient, front_desk: User
) -> None:
    services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        by=front_desk,
    )
    client.force_login(front_desk)
    response = client.post(
        f"/sessions/patients/{cleared_patient.uuid}/appointments/new/",
        {
            "kind": AppointmentKind.FOLLOW_UP,
            "room": room.pk,
            "starts_at": "2027-01-04T09:30",
            "duration_minutes": 30,
        },
    )
    assert response.status_code == 400
    assert "already booked" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_non_dosing_appointment_checks_in_without_the_dosing_checklist(
    client: Client, room: Room, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    appointment = services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        therapist=therapist,
        by=front_desk,
    )
    client.force_login(front_desk)
    url = f"/sessions/appointments/{appointment.uuid}/check-in/"
    page = client.get(url).content.decode()
    assert "Baseline systolic" not in page
    assert client.post(url).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    again = client.post(url)
    assert again.status_code == 400
    assert "cannot become checked in" in again.content.decode()


def test_the_landing_panel_loads_cleared_patients_without_a_course(
    client: Client, cleared_patient: Patient, other_patient: Patient, front_desk: User
) -> None:
    client.force_login(front_desk)
    desk = client.get("/desk/").content.decode()
    assert 'hx-get="/sessions/ready-to-schedule/"' in desk
    ready = client.get("/sessions/ready-to-schedule/").content.decode()
    assert f"Sessions for {cleared_patient.display_name}" in ready
    assert other_patient.display_name not in ready  # not cleared
