from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integration import services
from integration.models import Note
from integration.supervision import services as supervision
from integration.supervision.models import (
    NoteSupervision,
    ReviewState,
    SupervisionRelationship,
)
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Appointment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor() -> User:
    return UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")


def _relationship(
    therapist: User, supervisor: User, clinic_admin: User, **overrides: object
) -> SupervisionRelationship:
    values: dict[str, object] = {
        "supervisee": therapist,
        "supervisor": supervisor,
        "kind": "pre_licensure",
        "mode": "cosign",
        "starts_on": date(2020, 1, 1),
        "by": clinic_admin,
    }
    values.update(overrides)
    return supervision.relationship_create(**values)  # type: ignore[arg-type]


def _signed(appointment: Appointment, author: User) -> Note:
    note = services.note_start(appointment=appointment, by=author)
    services.note_draft_save(note=note, body="Mood: settled\n", by=author)
    return services.note_sign(note=note, by=author)


def test_setting_up_supervision_is_audited(
    therapist: User, supervisor: User, clinic_admin: User
) -> None:
    relationship = _relationship(therapist, supervisor, clinic_admin)
    assert AuditEvent.objects.filter(
        object_id=str(relationship.uuid), action="create", actor=clinic_admin
    ).exists()


def test_a_clinician_cannot_supervise_themself(therapist: User, clinic_admin: User) -> None:
    with pytest.raises(ValidationError, match="cannot supervise themself"):
        _relationship(therapist, therapist, clinic_admin)
    assert not SupervisionRelationship.objects.exists()


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(date(2020, 6, 1), None), (date(2019, 1, 1), date(2020, 1, 1)), (date(2019, 1, 1), None)],
)
def test_overlapping_relationships_of_the_same_kind_are_refused(
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    starts_on: date,
    ends_on: date | None,
) -> None:
    _relationship(therapist, supervisor, clinic_admin, ends_on=date(2020, 12, 31))
    with pytest.raises(ValidationError, match="overlap another supervision of the same kind"):
        _relationship(
            therapist,
            UserFactory(role=Role.THERAPIST),
            clinic_admin,
            starts_on=starts_on,
            ends_on=ends_on,
        )
    assert SupervisionRelationship.objects.count() == 1


def test_consecutive_and_other_kind_relationships_are_allowed(
    therapist: User, supervisor: User, clinic_admin: User
) -> None:
    _relationship(therapist, supervisor, clinic_admin, ends_on=date(2020, 12, 31))
    _relationship(therapist, supervisor, clinic_admin, starts_on=date(2021, 1, 1))
    _relationship(therapist, supervisor, clinic_admin, kind="fellowship")
    assert SupervisionRelationship.objects.count() == 3


def test_sample_review_needs_a_percentage_and_only_admins_set_up_supervision(
    therapist: User, supervisor: User, clinic_admin: User
) -> None:
    with pytest.raises(ValidationError, match="percentage between 1 and 100"):
        _relationship(therapist, supervisor, clinic_admin, mode="sample")
    with pytest.raises(ValidationError, match="Only clinic admins"):
        _relationship(therapist, supervisor, supervisor)
    assert not SupervisionRelationship.objects.exists()


def test_a_note_follows_the_relationship_in_force_on_its_date(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
) -> None:
    note_day = timezone.localdate(integration_appointment.starts_at)
    earlier = UserFactory(role=Role.THERAPIST)
    _relationship(therapist, earlier, clinic_admin, ends_on=note_day - timedelta(days=1))
    _relationship(therapist, supervisor, clinic_admin, starts_on=note_day, mode="review")
    note = _signed(integration_appointment, therapist)
    assert note.cosignature_required_from == supervisor
    assert note.supervision.mode == "review"
    assert not note.is_final


def test_without_a_relationship_the_user_supervisor_still_cosigns(
    integration_appointment: Appointment, therapist: User, supervisor: User
) -> None:
    therapist.supervisor = supervisor
    therapist.save(update_fields=["supervisor"])
    note = _signed(integration_appointment, therapist)
    assert note.cosignature_required_from == supervisor
    assert note.supervision.mode == "cosign"


def test_an_unsupervised_clinicians_note_is_final_when_signed(
    integration_appointment: Appointment, therapist: User
) -> None:
    note = _signed(integration_appointment, therapist)
    assert note.is_final
    assert not NoteSupervision.objects.exists()


@pytest.mark.parametrize(("draw", "reviewed"), [(9, True), (10, False)])
def test_sample_review_records_the_draw_and_reviews_below_the_percentage(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    draw: int,
    reviewed: bool,
) -> None:
    _relationship(therapist, supervisor, clinic_admin, mode="sample", sample_percent=10)
    with mock.patch.object(supervision, "_draw", return_value=draw):
        note = _signed(integration_appointment, therapist)
    row = NoteSupervision.objects.get(note=note)
    assert (row.sample_draw, row.sample_percent) == (draw, 10)
    assert row.state == (ReviewState.PENDING if reviewed else ReviewState.NOT_REQUIRED)
    assert note.is_final is (not reviewed)
