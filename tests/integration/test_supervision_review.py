from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from integration import services
from integration.models import Note, NoteTemplate
from integration.supervision import services as supervision
from integration.supervision.models import ReviewComment, ReviewState
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.models import Appointment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor() -> User:
    return UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")


@pytest.fixture
def template() -> NoteTemplate:
    NoteTemplate.objects.filter(kind="integration").update(is_default=False)
    return NoteTemplate.objects.create(
        kind="integration", name="Integration", sections="Mood\nPlan", is_default=True
    )


def _supervise(
    therapist: User, supervisor: User, clinic_admin: User, mode: str, percent: int | None = None
) -> None:
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="practicum",
        mode=mode,
        sample_percent=percent,
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )


def _sign(appointment: Appointment, author: User, body: str) -> Note:
    note = services.note_start(appointment=appointment, by=author)
    services.note_draft_save(note=note, body=body, by=author)
    return services.note_sign(note=note, by=author)


def _return(supervisor: User, note: Note, section: str, comment: str) -> int:
    response = _client(supervisor).post(
        reverse("integration:note_return", args=[note.uuid]),
        {"section": section, "comment": comment},
    )
    return response.status_code


def test_review_mode_return_revise_resubmit_approve_keeps_every_version(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    prescriber: User,
    template: NoteTemplate,
) -> None:
    _supervise(therapist, supervisor, clinic_admin, "review")
    note = _sign(integration_appointment, therapist, "Mood:\nlow\n\nPlan:\nfirst draft text")
    assert not note.is_final
    page = _client(supervisor).get(reverse("integration:note_detail", args=[note.uuid]))
    assert b"Return for revision" in page.content
    assert b"Approve note" in page.content

    assert _return(supervisor, note, "Plan", "Name the follow-up date.") == 302
    note.refresh_from_db()
    assert not note.is_signed
    assert note.supervision.state == ReviewState.RETURNED
    assert AuditEvent.objects.filter(
        object_id=str(note.uuid), actor=supervisor, detail="note returned for revision"
    ).exists()
    author_page = _client(therapist).get(reverse("integration:note_detail", args=[note.uuid]))
    assert b"Name the follow-up date." in author_page.content
    assert b"Sign note" in author_page.content

    services.note_draft_save(
        note=note, body="Mood:\nlow\n\nPlan:\nfollow-up on Friday", by=therapist
    )
    note = services.note_sign(note=note, by=therapist)
    assert note.cosignature_required_from == supervisor
    assert note.supervision.state == ReviewState.PENDING
    response = _client(supervisor).post(reverse("integration:note_cosign", args=[note.uuid]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_final
    assert note.supervision.state == ReviewState.APPROVED
    assert [v.body.endswith("first draft text") for v in note.versions.all()] == [True, False]
    comment = ReviewComment.objects.get(note=note)
    assert (comment.section, comment.version.number) == ("Plan", 1)

    # The record (a care-team prescriber's view) shows the final note only, not the review.
    record = _client(prescriber).get(reverse("integration:note_detail", args=[note.uuid]))
    assert b"follow-up on Friday" in record.content
    assert b"first draft text" not in record.content
    assert b"Name the follow-up date." not in record.content


def test_cosign_mode_goes_from_draft_to_final_by_cosignature_and_cannot_be_returned(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    template: NoteTemplate,
) -> None:
    _supervise(therapist, supervisor, clinic_admin, "cosign")
    note = _sign(integration_appointment, therapist, "Mood:\nok\n\nPlan:\nnone")
    assert _return(supervisor, note, "Plan", "Why?") == 400
    note.refresh_from_db()
    assert note.is_signed
    assert not ReviewComment.objects.exists()
    services.note_cosign(note=note, by=supervisor)
    note.refresh_from_db()
    assert note.is_final
    assert note.supervision.state == ReviewState.APPROVED


def test_sample_mode_sampled_note_is_reviewed_and_unsampled_note_is_final(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    template: NoteTemplate,
) -> None:
    _supervise(therapist, supervisor, clinic_admin, "sample", percent=25)
    with mock.patch.object(supervision, "_draw", return_value=3):
        note = _sign(integration_appointment, therapist, "Mood:\nok\n\nPlan:\nnone")
    assert _return(supervisor, note, "Mood", "Describe affect.") == 302
    note.refresh_from_db()
    services.note_draft_save(note=note, body="Mood:\nbright affect\n\nPlan:\nnone", by=therapist)
    note = services.note_sign(note=note, by=therapist)
    services.note_cosign(note=note, by=supervisor)
    note.refresh_from_db()
    assert note.is_final
    assert note.versions.count() == 2

    other = UserFactory(role=Role.THERAPIST)
    _supervise(other, supervisor, clinic_admin, "sample", percent=25)
    with mock.patch.object(supervision, "_draw", return_value=25):
        unsampled = _sign(integration_appointment, other, "Mood:\nok")
    assert unsampled.is_final
    assert unsampled.supervision.state == ReviewState.NOT_REQUIRED


@pytest.mark.parametrize(
    ("who", "section", "comment"),
    [("prescriber", "Plan", "x"), ("supervisor", "Nonsense", "x"), ("supervisor", "Plan", " ")],
)
def test_bad_returns_change_nothing(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
    template: NoteTemplate,
    request: pytest.FixtureRequest,
    who: str,
    section: str,
    comment: str,
) -> None:
    _supervise(therapist, supervisor, clinic_admin, "review")
    note = _sign(integration_appointment, therapist, "Mood:\nok\n\nPlan:\nnone")
    user = supervisor if who == "supervisor" else request.getfixturevalue(who)
    assert _return(user, note, section, comment) in (400, 404)
    note.refresh_from_db()
    assert note.is_signed
    assert note.supervision.state == ReviewState.PENDING
    assert not ReviewComment.objects.exists()


def test_approving_a_note_one_did_not_supervise_is_refused(
    integration_appointment: Appointment,
    therapist: User,
    supervisor: User,
    clinic_admin: User,
) -> None:
    _supervise(therapist, supervisor, clinic_admin, "review")
    note = _sign(integration_appointment, therapist, "text")
    stranger = UserFactory(role=Role.THERAPIST)
    response = _client(stranger).post(reverse("integration:note_cosign", args=[note.uuid]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.cosigned_at is None
