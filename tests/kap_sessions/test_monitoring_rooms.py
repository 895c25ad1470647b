"""Each room's daily emergency checklist must be complete before its first dose of the day."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions import dosing
from sessions.models import DosingPolicy, DosingRecord, Location, RoomKind
from sessions.monitoring.models import RoomEmergencyCheck
from sessions.monitoring.services import room_check_record, room_local_day
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db

EVERYTHING = {
    "pulse_oximeter": True,
    "blood_pressure_cuff": True,
    "oxygen": True,
    "suction": True,
    "aed": True,
}


def _move_to_unchecked_room(record: DosingRecord, clinic: Location) -> DosingRecord:
    room = RoomFactory(location=clinic, name="Treatment 3", kind=RoomKind.TREATMENT)
    appointment = record.appointment
    appointment.room = room
    appointment.save(update_fields=["room"])
    record.doses.all().delete()  # the session's first dose is given in the new room
    record.refresh_from_db()
    return record


def _dose(record: DosingRecord, prescriber: User) -> object:
    now = timezone.now()
    return dosing.dose_administer(
        record=record, dose_mg="35", lot_number="L2", started_at=now, ended_at=now, by=prescriber
    )


def test_a_dose_is_refused_in_a_room_without_todays_emergency_checklist(
    record: DosingRecord, clinic: Location, prescriber: User
) -> None:
    record = _move_to_unchecked_room(record, clinic)
    with pytest.raises(ValidationError, match="Treatment 3 has no emergency checklist for"):
        _dose(record, prescriber)
    assert record.doses.count() == 0


def test_an_incomplete_checklist_refuses_the_dose_and_names_what_is_missing(
    record: DosingRecord, clinic: Location, prescriber: User, front_desk: User
) -> None:
    record = _move_to_unchecked_room(record, clinic)
    room = record.appointment.room
    room_check_record(
        room=room,
        day=room_local_day(room, timezone.now()),
        by=front_desk,
        **{**EVERYTHING, "oxygen": False},
        rescue_medicines_present=["Labetalol"],
    )
    with pytest.raises(ValidationError) as refused:
        _dose(record, prescriber)
    message = refused.value.messages[0]
    assert "incomplete" in message
    assert "Oxygen available and full" in message
    assert "Naloxone" in message
    room_check_record(
        room=room,
        day=room_local_day(room, timezone.now()),
        by=front_desk,
        **EVERYTHING,
        rescue_medicines_present=DosingPolicy.current().rescue_medicines,
    )
    _dose(record, prescriber)
    assert record.doses.count() == 1
    check = RoomEmergencyCheck.objects.get(room=room)
    assert check.is_complete
    assert AuditEvent.objects.filter(object_id=str(check.uuid), action="update").exists()


def test_yesterdays_checklist_does_not_count_today(
    record: DosingRecord, clinic: Location, prescriber: User, front_desk: User
) -> None:
    record = _move_to_unchecked_room(record, clinic)
    room = record.appointment.room
    today = room_local_day(room, timezone.now())
    RoomEmergencyCheck.objects.create(
        room=room,
        day=today.replace(day=today.day - 1) if today.day > 1 else today.replace(month=1, day=1),
        checked_by=front_desk,
        **EVERYTHING,
    )
    with pytest.raises(ValidationError, match="no emergency checklist"):
        _dose(record, prescriber)


def test_the_checklist_is_recorded_for_today_only(
    room: object, front_desk: User, clinic: Location
) -> None:
    other = RoomFactory(location=clinic, name="Treatment 4", kind=RoomKind.TREATMENT)
    tomorrow = room_local_day(other, timezone.now() + timezone.timedelta(days=1))
    with pytest.raises(ValidationError, match="on the day"):
        room_check_record(
            room=other, day=tomorrow, by=front_desk, **EVERYTHING, rescue_medicines_present=[]
        )


def test_staff_fill_the_checklist_on_its_page_linked_from_the_board(
    client: Client, record: DosingRecord, clinic: Location, front_desk: User, prescriber: User
) -> None:
    record = _move_to_unchecked_room(record, clinic)
    room = record.appointment.room
    client.force_login(prescriber)
    board = client.get(f"/sessions/locations/{clinic.uuid}/live/rows/").content.decode()
    assert f"/sessions/rooms/{room.uuid}/emergency-check/" in board
    assert "Treatment 3:" in board
    assert "not checked" in board
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert 'data-testid="room-check-warning"' in page
    client.force_login(front_desk)
    url = f"/sessions/rooms/{room.uuid}/emergency-check/"
    form = client.get(url)
    assert form.status_code == 200
    assert "Suction working" in form.content.decode()
    assert "Naloxone" in form.content.decode()
    response = client.post(
        url,
        {
            **{name: "on" for name in EVERYTHING},
            "rescue_medicines_present": DosingPolicy.current().rescue_medicines,
            "next": f"/sessions/locations/{clinic.uuid}/live/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/locations/{clinic.uuid}/live/"
    assert RoomEmergencyCheck.objects.get(room=room).is_complete
    client.force_login(prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert 'data-testid="room-check-warning"' not in page


def test_patients_cannot_open_the_checklist(
    client: Client, room: object, patient_user: User
) -> None:
    client.force_login(patient_user)
    assert client.get(f"/sessions/rooms/{room.uuid}/emergency-check/").status_code == 403  # type: ignore[attr-defined]


def test_a_telehealth_room_has_no_clinic_equipment_to_check(
    record: DosingRecord, telehealth: object, prescriber: User
) -> None:
    appointment = record.appointment
    appointment.room = telehealth
    appointment.save(update_fields=["room"])
    record.doses.all().delete()
    record.refresh_from_db()
    _dose(record, prescriber)
    assert record.doses.count() == 1


@pytest.mark.parametrize("count", [1, 15])
def test_the_board_holds_its_query_budget_with_many_rooms(
    client: Client,
    clinic: Location,
    prescriber: User,
    front_desk: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    for number in range(count):
        room = RoomFactory(location=clinic, name=f"Room {number}", kind=RoomKind.TREATMENT)
        room_check_record(
            room=room,
            day=room_local_day(room, timezone.now()),
            by=front_desk,
            **EVERYTHING,
            rescue_medicines_present=[],
        )
    client.force_login(prescriber)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        response = client.get(f"/sessions/locations/{clinic.uuid}/live/rows/")
    assert len(response.context["rooms_readiness"]) == count
