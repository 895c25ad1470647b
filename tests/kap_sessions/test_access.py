"""Who may see and do what: front desk, prescriber, therapist, patient, outsider, clinic admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions import dosing, services
from sessions.models import AppointmentKind, Course, DosingRecord, Room

pytestmark = pytest.mark.django_db


def _get(client: Client, user: User, url: str) -> int:
    client.force_login(user)
    return client.get(url).status_code


def test_the_dosing_record_page_access_matrix(
    client: Client,
    record: DosingRecord,
    prescriber: User,
    therapist: User,
    front_desk: User,
    patient_user: User,
    outsider: User,
    clinic_admin: User,
) -> None:
    url = f"/sessions/dosing/{record.uuid}/"
    assert _get(client, prescriber, url) == 200
    assert _get(client, therapist, url) == 200
    assert _get(client, front_desk, url) == 403
    assert _get(client, patient_user, url) == 403
    assert _get(client, clinic_admin, url) == 403
    assert _get(client, outsider, url) == 404


def test_a_therapist_sees_monitoring_but_not_doses(
    client: Client, record: DosingRecord, therapist: User, prescriber: User
) -> None:
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "Record vitals" in page
    assert "LOT-77" not in page
    client.force_login(prescriber)
    assert "LOT-77" in client.get(f"/sessions/dosing/{record.uuid}/").content.decode()


def test_front_desk_sees_schedule_and_readiness_status_but_no_dose(
    client: Client, record: DosingRecord, front_desk: User
) -> None:
    client.force_login(front_desk)
    board = client.get(f"/sessions/locations/{record.appointment.location.uuid}/today/")
    assert board.status_code == 200
    assert "Patient part missing" in board.content.decode()
    detail = client.get(f"/sessions/appointments/{record.appointment.uuid}/").content.decode()
    assert "LOT-77" not in detail
    assert " mg" not in detail
    assert client.get(f"/sessions/dosing/{record.uuid}/rems/").status_code == 403
    assert (
        client.get(f"/sessions/locations/{record.appointment.location.uuid}/live/").status_code
        == 403
    )


def test_every_read_and_write_of_a_dosing_record_is_audited(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    client.force_login(therapist)
    before = AuditEvent.objects.filter(object_id=str(record.uuid)).count()
    client.get(f"/sessions/dosing/{record.uuid}/")
    client.post(
        f"/sessions/dosing/{record.uuid}/observations/",
        {
            "observation-observed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "observation-text": "Calm",
        },
    )
    events = AuditEvent.objects.filter(object_id=str(record.uuid)).order_by("occurred_at", "id")
    assert events.count() == before + 2
    assert [e.action for e in events][-2:] == [AuditAction.READ, AuditAction.UPDATE]
    assert all(e.actor == therapist for e in list(events)[-2:])


def test_patients_see_their_own_sessions_and_fill_their_readiness_form(
    client: Client,
    course: Course,
    room: Room,
    front_desk: User,
    patient_user: User,
    other_patient: Patient,
) -> None:
    start = timezone.now() + timedelta(days=2)
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
    client.force_login(patient_user)
    portal = client.get("/portal/").content.decode()
    assert "Readiness form" in portal
    url = f"/sessions/appointments/{appointment.uuid}/readiness/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "last_ate_at": "2026-01-01T08:00",
            "last_drank_at": "2026-01-01T10:00",
            "escort_name": "Robin Escort",
            "escort_phone": "555-0101",
            "pregnancy_attestation": "not_applicable",
            "feeling_today": "Nervous but ready",
        },
    )
    assert response.status_code == 302
    appointment.readiness.refresh_from_db()
    assert appointment.readiness.escort_name == "Robin Escort"
    assert client.get(f"/sessions/calendar/?location={room.location.uuid}").status_code == 403
    # Another patient's appointment answers 404.
    other = services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=1, hours=1),
        by=front_desk,
    )
    assert client.get(f"/sessions/appointments/{other.uuid}/").status_code == 404
    assert client.get(f"/sessions/appointments/{other.uuid}/readiness/").status_code == 404


def test_the_staff_cannot_fill_the_patients_part(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    start = timezone.now() + timedelta(days=2)
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
    client.force_login(front_desk)
    assert client.get(f"/sessions/appointments/{appointment.uuid}/readiness/").status_code == 403


def test_the_live_board_refreshes_with_htmx_and_lists_the_room_and_next_vitals(
    client: Client, record: DosingRecord, prescriber: User
) -> None:
    client.force_login(prescriber)
    location = record.appointment.location
    page = client.get(f"/sessions/locations/{location.uuid}/live/").content.decode()
    assert 'hx-trigger="every 15s"' in page  # issue 11: the board refreshes every 15 s
    assert f'hx-get="/sessions/locations/{location.uuid}/live/rows/"' in page
    assert "<script>" not in page
    rows = client.get(f"/sessions/locations/{location.uuid}/live/rows/")
    assert rows.status_code == 200
    body = rows.content.decode()
    assert "Treatment 1" in body
    assert " min" in body
    assert rows.context["rows"][0]["next_due"] is not None


@pytest.mark.parametrize("count", [1, 50])
def test_the_live_board_holds_its_query_budget(
    client: Client,
    clinic: object,
    prescriber: User,
    therapist: User,
    front_desk: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    from tests.factories import CourseFactory, PatientFactory, ProtocolFactory

    protocol = ProtocolFactory()
    start = timezone.now() - timedelta(minutes=20)
    for _ in range(count):
        patient = PatientFactory(status="cleared", prescriber=prescriber, therapist=therapist)
        course = CourseFactory(
            patient=patient,
            protocol=protocol,
            location=clinic,
            prescriber=prescriber,
            therapist=therapist,
            created_by=front_desk,
        )
        appointment = _unchecked_dose(patient, course, clinic, start, front_desk)
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
    client.force_login(prescriber)
    # 12 for the rows, 4 for monitoring (policy, open alerts, rooms and their checklists).
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        response = client.get(f"/sessions/locations/{clinic.uuid}/live/rows/")  # type: ignore[attr-defined]
    assert len(response.context["rows"]) == count


def _unchecked_dose(
    patient: Patient, course: Course, clinic: object, start: object, by: User
) -> object:
    """A dosing appointment written directly: fifty patients dosed at once would need fifty
    clinician pairs, and the board only reads the rows."""
    from sessions.models import Appointment
    from tests.factories import RoomFactory

    return Appointment.objects.create(
        patient=patient,
        course=course,
        kind=AppointmentKind.DOSING,
        location=clinic,
        room=RoomFactory(location=clinic),
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        created_by=by,  # type: ignore[operator]
    )


def test_opening_the_check_in_page_of_a_dosing_session_is_audited(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    start = timezone.now() + timedelta(hours=1)
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
    readiness = dosing.readiness_for(appointment)
    client.force_login(front_desk)
    response = client.get(f"/sessions/appointments/{appointment.uuid}/check-in/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        actor=front_desk, action=AuditAction.READ, object_id=str(readiness.uuid)
    ).exists()
