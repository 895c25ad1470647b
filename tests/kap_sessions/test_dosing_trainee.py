"""Issue #19, Scope: a trainee is never the only clinician at a dosing session."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from kap_clinic.accounts.models import User
from kap_clinic.clinic.models import StaffProfile, SupervisionStatus
from sessions import dosing
from sessions.models import Course, DosingStatus, Room
from tests.kap_sessions.test_dosing import checked_in

pytestmark = pytest.mark.django_db


def _trainee(user: User) -> None:
    StaffProfile.objects.update_or_create(
        user=user, defaults={"supervision_status": SupervisionStatus.TRAINEE}
    )


def test_a_trainee_therapist_with_a_trainee_monitor_cannot_start_dosing(
    course: Course, room: Room, front_desk: User
) -> None:
    _trainee(course.therapist)
    _trainee(course.prescriber)
    record = checked_in(course, room, front_desk)
    with pytest.raises(ValidationError, match="trainee cannot be the only clinician"):
        dosing.dosing_start(record=record, by=course.prescriber)
    record.refresh_from_db()
    assert record.status != DosingStatus.IN_PROGRESS


def test_a_trainee_therapist_with_a_licensed_monitor_starts_dosing(
    course: Course, room: Room, front_desk: User
) -> None:
    _trainee(course.therapist)
    record = checked_in(course, room, front_desk)
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"


@override_settings(SUPERVISION_TRAINEE_MAY_DOSE_ALONE=True)
def test_the_clinic_policy_can_allow_trainees_to_dose_alone(
    course: Course, room: Room, front_desk: User
) -> None:
    _trainee(course.therapist)
    _trainee(course.prescriber)
    record = checked_in(course, room, front_desk)
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"
