from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from intake.models import Patient
from integration.supervision import services as supervision
from integration.supervision.hours import clinical_hours
from integration.supervision.models import SupervisionMeeting, SupervisionRelationship
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


def test_the_period_report_is_signed_by_both_and_printed_for_them_only(
    course: Course, therapist: User, supervisor: User, prescriber: User
) -> None:
    _visit(
        course,
        datetime(2026, 3, 2, 10, tzinfo=NEW_YORK),
        datetime(2026, 3, 2, 11, 30, tzinfo=NEW_YORK),
    )
    relationship = SupervisionRelationship.objects.get(supervisee=therapist)
    report = supervision.report_create(
        relationship=relationship,
        first_day=date(2026, 3, 1),
        last_day=date(2026, 3, 31),
        by=therapist,
    )
    assert (report.direct_minutes, report.direct_hours) == (90, 1.5)
    with pytest.raises(ValidationError, match="Only the supervisee and the supervisor"):
        supervision.report_sign(report=report, by=prescriber)
    supervision.report_sign(report=report, by=therapist)
    with pytest.raises(ValidationError, match="signed this report already"):
        supervision.report_sign(report=report, by=therapist)
    client = Client()
    client.force_login(supervisor)
    response = client.post(reverse("integration:supervision_report_sign", args=[report.uuid]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.is_signed_by_both
    pdf = client.get(reverse("integration:supervision_report_pdf", args=[report.uuid]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(object_id=str(report.uuid), action="export").exists()
    outsider_client = Client()
    outsider_client.force_login(prescriber)
    assert (
        outsider_client.get(
            reverse("integration:supervision_report_pdf", args=[report.uuid])
        ).status_code
        == 404
    )
