from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions import services
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ClinicianBooking,
    Course,
    Room,
    StaffTimeOff,
)
from sessions.services import BookingConflictError, InvalidTransitionError
from tests.factories import PatientFactory, UserFactory
from tests.kap_sessions.conftest import at

pytestmark = pytest.mark.django_db


def book_dose(
    the_course: Course,
    room: Room,
    start: object,
    *,
    patient: Patient | None = None,
    **overrides: object,
) -> Appointment:
    course = the_course
    fields: dict[str, object] = {
        "patient": patient or course.patient,
        "kind": AppointmentKind.DOSING,
        "room": room,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=150),  # type: ignore[operator]
        "course": course,
        "medical_monitor": course.prescriber,
        "therapist": course.therapist,
        "by": course.created_by,
    }
    fields.update(overrides)
    return services.appointment_book(**fields)  # type: ignore[arg-type]


def test_a_dosing_session_books_for_a_cleared_patient_with_a_course(
    course: Course, room: Room
) -> None:
    appointment = book_dose(course, room, at(2027, 1, 4, 9))
    assert appointment.status == AppointmentStatus.BOOKED
    assert set(ClinicianBooking.objects.values_list("clinician_id", flat=True)) == {
        course.prescriber.id,
        course.therapist.id,
    }


def test_a_patient_not_cleared_cannot_be_booked_for_dosing(course: Course, room: Room) -> None:
    course.patient.status = PatientStatus.SCREENED
    course.patient.save()
    with pytest.raises(ValidationError, match="not been cleared"):
        book_dose(course, room, at(2027, 1, 4, 9))
    assert not Appointment.objects.exists()


def test_a_patient_in_treatment_counts_as_cleared(course: Course, room: Room) -> None:
    course.patient.status = PatientStatus.IN_TREATMENT
    course.patient.save()
    assert book_dose(course, room, at(2027, 1, 4, 9)).pk


def test_dosing_needs_a_course(course: Course, room: Room) -> None:
    with pytest.raises(ValidationError, match="needs a treatment course"):
        book_dose(course, room, at(2027, 1, 4, 9), course=None)


def test_dosing_needs_a_prescriber_and_a_therapist(course: Course, room: Room) -> None:
    with pytest.raises(ValidationError, match="prescriber"):
        book_dose(course, room, at(2027, 1, 4, 9), medical_monitor=None)


def test_doses_closer_than_the_protocol_allows_are_refused(course: Course, room: Room) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(ValidationError, match="at least 44 hours apart"):
        book_dose(course, room, at(2027, 1, 5, 14))
    # 48 hours later is fine under the 44-hour minimum.
    assert book_dose(course, room, at(2027, 1, 6, 9)).pk


def test_a_cancelled_dose_does_not_count_for_spacing(course: Course, room: Room) -> None:
    first = book_dose(course, room, at(2027, 1, 4, 9))
    services.appointment_cancel(appointment=first, reason="patient unwell", by=course.created_by)
    assert book_dose(course, room, at(2027, 1, 5, 14)).pk


def test_a_patient_cannot_be_in_two_places_at_once(
    course: Course, room: Room, room_two: Room
) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(BookingConflictError, match="patient already has"):
        services.appointment_book(
            patient=course.patient,
            kind=AppointmentKind.FOLLOW_UP,
            room=room_two,
            starts_at=at(2027, 1, 4, 10),
            ends_at=at(2027, 1, 4, 11),
            by=course.created_by,
        )


def test_a_treatment_room_holds_one_patient_at_a_time(
    course: Course, room: Room, other_patient: Patient
) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(BookingConflictError, match="Treatment 1 is already booked"):
        services.appointment_book(
            patient=other_patient,
            kind=AppointmentKind.FOLLOW_UP,
            room=room,
            starts_at=at(2027, 1, 4, 11),
            ends_at=at(2027, 1, 4, 12),
            by=course.created_by,
        )


def test_a_clinician_cannot_be_booked_twice_at_once(
    course: Course, room: Room, room_two: Room, other_patient: Patient
) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(BookingConflictError, match="Test Therapist is already booked"):
        services.appointment_book(
            patient=other_patient,
            kind=AppointmentKind.INTEGRATION,
            room=room_two,
            starts_at=at(2027, 1, 4, 10),
            ends_at=at(2027, 1, 4, 11),
            therapist=course.therapist,
            by=course.created_by,
        )


def test_back_to_back_appointments_are_fine(
    course: Course, room: Room, other_patient: Patient
) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))  # until 11:30
    follow = services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.INTEGRATION,
        room=room,
        starts_at=at(2027, 1, 4, 11, 30),
        ends_at=at(2027, 1, 4, 12, 30),
        therapist=course.therapist,
        by=course.created_by,
    )
    assert follow.pk


def test_a_telehealth_room_holds_many_calls(
    telehealth: Room, cleared_patient: Patient, other_patient: Patient, front_desk: User
) -> None:
    for patient in (cleared_patient, other_patient):
        services.appointment_book(
            patient=patient,
            kind=AppointmentKind.INTEGRATION,
            room=telehealth,
            starts_at=at(2027, 1, 4, 9),
            ends_at=at(2027, 1, 4, 10),
            by=front_desk,
        )
    assert Appointment.objects.filter(room=telehealth).count() == 2


def test_a_clinician_on_time_off_cannot_be_booked(course: Course, room: Room) -> None:
    StaffTimeOff.objects.create(
        staff=course.therapist, starts_at=at(2027, 1, 4, 0), ends_at=at(2027, 1, 5, 0)
    )
    # A schedule rule (400) that a clinic admin may override, no longer a slot conflict (409).
    with pytest.raises(ValidationError, match="is off"):
        book_dose(course, room, at(2027, 1, 4, 9))


def test_a_cancelled_slot_can_be_booked_again(course: Course, room: Room) -> None:
    first = book_dose(course, room, at(2027, 1, 4, 9))
    services.appointment_cancel(appointment=first, reason="clinic closed", by=course.created_by)
    assert book_dose(course, room, at(2027, 1, 4, 9)).pk


def test_cancelling_needs_a_reason(course: Course, room: Room) -> None:
    appointment = book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(ValidationError, match="why"):
        services.appointment_cancel(appointment=appointment, reason=" ", by=course.created_by)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_moving_into_a_taken_slot_is_refused_and_changes_nothing(
    course: Course, room: Room, other_patient: Patient
) -> None:
    appointment = book_dose(course, room, at(2027, 1, 4, 9))
    services.appointment_book(
        patient=other_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=at(2027, 1, 8, 9),
        ends_at=at(2027, 1, 8, 10),
        by=course.created_by,
    )
    with pytest.raises(BookingConflictError):
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=at(2027, 1, 8, 9),
            ends_at=at(2027, 1, 8, 11, 30),
            by=course.created_by,
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(2027, 1, 4, 9)


def test_moving_keeps_clinician_bookings_in_step(course: Course, room: Room) -> None:
    appointment = book_dose(course, room, at(2027, 1, 4, 9))
    services.appointment_reschedule(
        appointment=appointment,
        starts_at=at(2027, 1, 6, 13),
        ends_at=at(2027, 1, 6, 15, 30),
        by=course.created_by,
    )
    assert set(ClinicianBooking.objects.values_list("starts_at", flat=True)) == {at(2027, 1, 6, 13)}
    appointment.refresh_from_db()
    assert appointment.schedule_version == 2


# --- the state machine ---------------------------------------------------------------------------


def test_the_appointment_goes_booked_checked_in_in_progress_completed(
    room: Room, cleared_patient: Patient, therapist: User, front_desk: User
) -> None:
    appointment = services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.PREPARATION,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        therapist=therapist,
        by=front_desk,
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    services.appointment_status_set(
        appointment=appointment, status=AppointmentStatus.IN_PROGRESS, by=therapist
    )
    services.appointment_status_set(
        appointment=appointment, status=AppointmentStatus.COMPLETED, by=therapist
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.checked_in_at is not None


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], AppointmentStatus.COMPLETED),
        ([], AppointmentStatus.IN_PROGRESS),
        (["cancel"], AppointmentStatus.CHECKED_IN),
        (["cancel"], AppointmentStatus.NO_SHOW),
        ([AppointmentStatus.NO_SHOW], AppointmentStatus.CHECKED_IN),
        ([AppointmentStatus.CHECKED_IN], AppointmentStatus.NO_SHOW),
        ([AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS], "cancel"),
    ],
)
def test_out_of_order_state_changes_are_refused(
    room: Room,
    cleared_patient: Patient,
    front_desk: User,
    path: list[str],
    refused: str,
) -> None:
    appointment = services.appointment_book(
        patient=cleared_patient,
        kind=AppointmentKind.FOLLOW_UP,
        room=room,
        starts_at=at(2027, 1, 4, 9),
        ends_at=at(2027, 1, 4, 10),
        by=front_desk,
    )

    def go(step: str) -> None:
        if step == "cancel":
            services.appointment_cancel(appointment=appointment, reason="test", by=front_desk)
        elif step == AppointmentStatus.CHECKED_IN:
            services.appointment_check_in(appointment=appointment, by=front_desk)
        else:
            services.appointment_status_set(appointment=appointment, status=step, by=front_desk)

    for step in path:
        go(step)
    before = Appointment.objects.get(pk=appointment.pk).status
    with pytest.raises(InvalidTransitionError):
        go(refused)
    assert Appointment.objects.get(pk=appointment.pk).status == before


# --- the database's own guard --------------------------------------------------------------------


def test_postgresql_refuses_an_overlapping_room_booking_written_past_the_service(
    course: Course, room: Room, other_patient: Patient
) -> None:
    first = book_dose(course, room, at(2027, 1, 4, 9))
    with pytest.raises(IntegrityError, match="appointment_room_no_overlap"), transaction.atomic():
        Appointment.objects.create(
            patient=other_patient,
            kind=AppointmentKind.FOLLOW_UP,
            location=room.location,
            room=room,
            starts_at=first.starts_at + timedelta(minutes=30),
            ends_at=first.ends_at,
        )


def test_postgresql_refuses_an_overlapping_clinician_booking_written_past_the_service(
    course: Course, room: Room
) -> None:
    first = book_dose(course, room, at(2027, 1, 4, 9))
    other = book_dose(course, room, at(2027, 1, 8, 9))
    with pytest.raises(IntegrityError, match="clinician_no_overlap"), transaction.atomic():
        ClinicianBooking.objects.filter(appointment=other).update(
            starts_at=first.starts_at, ends_at=first.ends_at
        )


def test_a_constraint_violation_the_check_missed_becomes_a_clear_conflict(
    course: Course, room: Room, other_patient: Patient
) -> None:
    book_dose(course, room, at(2027, 1, 4, 9))
    # As if a concurrent booking committed between the check and the insert.
    with (
        mock.patch.object(services, "booking_conflict", return_value=None),
        pytest.raises(BookingConflictError, match="room is already booked"),
    ):
        services.appointment_book(
            patient=other_patient,
            kind=AppointmentKind.FOLLOW_UP,
            room=room,
            starts_at=at(2027, 1, 4, 10),
            ends_at=at(2027, 1, 4, 11),
            by=course.created_by,
        )
    assert Appointment.objects.count() == 1


def test_the_medical_monitor_must_be_a_prescriber(course: Course, room: Room) -> None:
    with pytest.raises(ValidationError, match="medical monitor must be a prescriber"):
        book_dose(course, room, at(2027, 1, 4, 9), medical_monitor=UserFactory(role=Role.THERAPIST))


def test_a_course_needs_a_cleared_patient_and_a_dose_in_range(
    iv_protocol: object, clinic: object, prescriber: User, therapist: User, front_desk: User
) -> None:
    from datetime import date

    patient = PatientFactory(status=PatientStatus.SUBMITTED)
    fields = {
        "patient": patient,
        "protocol": iv_protocol,
        "location": clinic,
        "prescriber": prescriber,
        "therapist": therapist,
        "planned_dose": "0.5",
        "start_date": date(2027, 1, 4),
        "by": front_desk,
    }
    with pytest.raises(ValidationError, match="not been cleared"):
        services.course_create(**fields)  # type: ignore[arg-type]
    patient.status = PatientStatus.CLEARED
    patient.save()
    with pytest.raises(ValidationError, match="planned dose must be between"):
        services.course_create(**{**fields, "planned_dose": "0.9"})  # type: ignore[arg-type]
    assert services.course_create(**fields).pk  # type: ignore[arg-type]


def test_a_dosing_appointment_cannot_be_started_or_completed_around_its_dosing_record(
    course: Course, room: Room
) -> None:
    # Check-in of a dosing session opens 2 hours before it (policy): book one for now.
    appointment = book_dose(course, room, timezone.now())
    services.appointment_check_in(appointment=appointment, by=course.created_by)
    with pytest.raises(InvalidTransitionError, match="from its dosing record"):
        services.appointment_status_set(
            appointment=appointment, status=AppointmentStatus.IN_PROGRESS, by=course.prescriber
        )
