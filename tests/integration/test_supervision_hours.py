from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from intake.models import Patient
from integration.supervision import services as supervision
from integration.supervision.hours import clinical_hours
from integration.supervision.models import SupervisionMeeting
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Course
from tests.factories import IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def supervisor(therapist: User, clinic_admin: User) -> User:
    supervisor = UserFactory(role=Role.THERAPIST)
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="fellowship",
        mode="review",
        starts_on=date(2026, 1, 1),
        by=clinic_admin,
    )
    return supervisor


def _visit(course: Course, start: datetime, end: datetime, status: str = "completed") -> None:
    IntegrationAppointmentFactory(course=course, starts_at=start, ends_at=end, status=status)


@override_settings(TIME_ZONE="America/New_York")
def test_direct_hours_over_march_2026_count_real_time_across_the_spring_change(
    course: Course, therapist: User, supervisor: User
) -> None:
    # Clocks go from 02:00 EST to 03:00 EDT on 8 March 2026.
    _visit(
        course, datetime(2026, 3, 2, 10, tzinfo=NEW_YORK), datetime(2026, 3, 2, 11, tzinfo=NEW_YORK)
    )
    # 01:00 EST to 03:30 EDT: 1.5 hours elapsed, though the wall clock says 2.5.
    _visit(
        course,
        datetime(2026, 3, 8, 1, tzinfo=NEW_YORK),
        datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK),
    )
    # Starts on the last local day of March (04:30 UTC on 1 April): counts, 1 hour.
    _visit(
        course,
        datetime(2026, 3, 31, 23, 30, tzinfo=NEW_YORK),
        datetime(2026, 4, 1, 0, 30, tzinfo=NEW_YORK),
    )
    # Outside the month by local date, or not attended: not counted.
    _visit(
        course,
        datetime(2026, 2, 28, 23, 30, tzinfo=NEW_YORK),
        datetime(2026, 3, 1, 0, 30, tzinfo=NEW_YORK),
    )
    _visit(
        course, datetime(2026, 4, 1, 1, tzinfo=NEW_YORK), datetime(2026, 4, 1, 2, tzinfo=NEW_YORK)
    )
    _visit(
        course,
        datetime(2026, 3, 20, 10, tzinfo=NEW_YORK),
        datetime(2026, 3, 20, 11, tzinfo=NEW_YORK),
        status="no_show",
    )
    supervision.meeting_record(
        supervisees=[therapist],
        held_on=date(2026, 3, 9),
        format="individual",
        minutes=90,
        case_mrns=[course.patient.mrn],
        by=supervisor,
    )
    hours = clinical_hours(supervisee=therapist, first=date(2026, 3, 1), last=date(2026, 3, 31))
    assert hours.direct == timedelta(hours=3.5)
    assert hours.indirect == timedelta(minutes=90)
    assert (hours.direct_hours, hours.indirect_hours) == (3.5, 1.5)


def test_a_meeting_is_logged_with_cases_by_mrn_and_audited(
    patient: Patient, therapist: User, supervisor: User
) -> None:
    meeting = supervision.meeting_record(
        supervisees=[therapist],
        held_on=date(2026, 3, 9),
        format="individual",
        minutes=60,
        case_mrns=[patient.mrn, f" {patient.mrn} "],
        notes="Discussed pacing of integration.",
        by=supervisor,
    )
    assert meeting.case_mrns == patient.mrn
    assert AuditEvent.objects.filter(object_id=str(meeting.uuid), actor=supervisor).exists()


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("case_mrns", {"case_mrns": ["NOPE-1"]}),
        ("format", {"format": "individual", "extra": True}),
        ("supervisees", {"outsider": True}),
        ("minutes", {"minutes": 0}),
    ],
)
def test_bad_meetings_are_refused_and_nothing_is_saved(
    therapist: User, supervisor: User, field: str, overrides: dict[str, object]
) -> None:
    supervisees = [therapist]
    if overrides.pop("extra", False):
        supervisees.append(UserFactory(role=Role.THERAPIST))
    if overrides.pop("outsider", False):
        supervisees = [UserFactory(role=Role.THERAPIST)]
    values: dict[str, object] = {
        "supervisees": supervisees,
        "held_on": date(2026, 3, 9),
        "format": "individual",
        "minutes": 60,
        "case_mrns": [],
        "by": supervisor,
    }
    values.update(overrides)
    with pytest.raises(ValidationError) as caught:
        supervision.meeting_record(**values)  # type: ignore[arg-type]
    assert field in caught.value.message_dict
    assert not SupervisionMeeting.objects.exists()
