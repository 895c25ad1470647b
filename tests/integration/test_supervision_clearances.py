"""Issue #19, Scope and Pages: the supervisor co-signs a trainee's clearance from their queue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import ClinicalAssessment, Decision, Patient, PatientStatus
from integration.supervision import services as supervision
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from kap_clinic.clinic.models import StaffProfile, SupervisionStatus
from tests.factories import UserFactory
from tests.intake.answers import submitted_intake
from tests.intake.test_services import _clinical, _medical, _status

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor(therapist: User, clinic_admin: User) -> User:
    """The therapist is a trainee supervised (review mode) by this clinician since 2020."""
    supervisor = UserFactory(role=Role.THERAPIST, full_name="Supervising Therapist")
    StaffProfile.objects.create(user=therapist, supervision_status=SupervisionStatus.TRAINEE)
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=supervisor,
        kind="practicum",
        mode="review",
        starts_on=date(2020, 1, 1),
        by=clinic_admin,
    )
    return supervisor


def _pending_clearance(patient: Patient, prescriber: User, trainee: User) -> ClinicalAssessment:
    submitted_intake(patient)
    _medical(patient, prescriber, Decision.CLEARED)
    _clinical(patient, trainee, Decision.CLEARED)
    return ClinicalAssessment.objects.get(patient=patient)


def _url(assessment: ClinicalAssessment, kind: str = "clinical") -> str:
    return reverse("integration:clearance_cosign", args=[kind, assessment.uuid])


def test_the_supervisor_in_force_is_asked_to_cosign_not_the_one_on_the_credentials(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    therapist.supervisor = UserFactory(role=Role.THERAPIST)  # set-up's, overridden by the relation
    therapist.save(update_fields=["supervisor"])
    assessment = _pending_clearance(patient, prescriber, therapist)
    assert assessment.cosignature_required_from == supervisor
    assert _client(therapist.supervisor).get(_url(assessment)).status_code == 404


def test_an_ended_relationship_falls_back_to_the_supervisor_on_the_credentials(
    patient: Patient, prescriber: User, therapist: User, clinic_admin: User
) -> None:
    StaffProfile.objects.create(user=therapist, supervision_status=SupervisionStatus.TRAINEE)
    former = UserFactory(role=Role.THERAPIST)
    supervision.relationship_create(
        supervisee=therapist,
        supervisor=former,
        kind="practicum",
        mode="review",
        starts_on=date(2020, 1, 1),
        ends_on=timezone.localdate() - timedelta(days=1),
        by=clinic_admin,
    )
    current = UserFactory(role=Role.THERAPIST)
    therapist.supervisor = current
    therapist.save(update_fields=["supervisor"])
    assessment = _pending_clearance(patient, prescriber, therapist)
    assert assessment.cosignature_required_from == current
    assert _client(former).get(_url(assessment)).status_code == 404
    assert _client(current).get(_url(assessment)).status_code == 200


def test_the_supervisor_cosigns_from_the_queue_with_confirmation_and_the_patient_is_cleared(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    client = _client(supervisor)
    queue = client.get(reverse("integration:supervision_queue"))
    assert b"Clearances awaiting your co-signature (1)" in queue.content
    assert _url(assessment).encode() in queue.content
    page = client.get(_url(assessment))
    assert page.status_code == 200
    assert b"Major depressive disorder" in page.content
    assert b"Co-sign clearance" in page.content
    assert AuditEvent.objects.filter(
        actor=supervisor, object_id=str(assessment.uuid), detail="clearance to co-sign"
    ).exists()

    response = client.post(_url(assessment), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("integration:supervision_queue")
    assessment.refresh_from_db()
    assert assessment.cosigned_by == supervisor
    assert assessment.cosigned_at is not None
    assert _status(patient) == PatientStatus.CLEARED
    queue = client.get(reverse("integration:supervision_queue"))
    assert b"Clearances awaiting your co-signature (0)" in queue.content


def test_cosigning_without_confirming_says_so_on_the_field_and_changes_nothing(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    response = _client(supervisor).post(_url(assessment), {})
    assert response.status_code == 400
    assert b"Tick the box to confirm you co-sign this clearance." in response.content
    assessment.refresh_from_db()
    assert assessment.cosigned_at is None
    assert _status(patient) == PatientStatus.SCREENED


def test_cosigning_twice_is_refused_with_a_message(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    client = _client(supervisor)
    client.post(_url(assessment), {"confirm": "on"})
    first = ClinicalAssessment.objects.get(pk=assessment.pk).cosigned_at
    # A second tab still showing the form posts again.
    response = client.post(_url(assessment), {"confirm": "on"})
    assert response.status_code == 400
    assert b"This assessment is co-signed already." in response.content
    assert b"Co-signed by Supervising Therapist" in response.content
    assert ClinicalAssessment.objects.get(pk=assessment.pk).cosigned_at == first
    assert (
        AuditEvent.objects.filter(
            object_id=str(assessment.uuid), detail="clearance co-signed"
        ).count()
        == 1
    )


@pytest.mark.parametrize("who", ["therapist", "outsider", "prescriber", "other_supervisor"])
def test_only_the_supervisor_in_force_may_open_or_cosign_the_clearance(
    who: str,
    patient: Patient,
    prescriber: User,
    therapist: User,
    supervisor: User,
    request: pytest.FixtureRequest,
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    user = (
        UserFactory(role=Role.THERAPIST)
        if who == "other_supervisor"
        else request.getfixturevalue(who)
    )
    client = _client(user)
    assert client.get(_url(assessment)).status_code == 404
    assert client.post(_url(assessment), {"confirm": "on"}).status_code == 404
    assessment.refresh_from_db()
    assert assessment.cosigned_at is None


@pytest.mark.parametrize("role", ["front_desk", "patient_user", "clinic_admin"])
def test_the_cosignature_page_is_for_clinicians_only(
    role: str,
    patient: Patient,
    prescriber: User,
    therapist: User,
    supervisor: User,
    request: pytest.FixtureRequest,
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    response = _client(request.getfixturevalue(role)).post(_url(assessment), {"confirm": "on"})
    assert response.status_code in (403, 404)
    assessment.refresh_from_db()
    assert assessment.cosigned_at is None


def test_a_wrong_kind_or_unknown_clearance_answers_404(
    patient: Patient, prescriber: User, therapist: User, supervisor: User
) -> None:
    assessment = _pending_clearance(patient, prescriber, therapist)
    client = _client(supervisor)
    assert client.get(_url(assessment, kind="medical")).status_code == 404
    assert client.get(_url(assessment, kind="dental")).status_code == 404
    unknown = reverse(
        "integration:clearance_cosign", args=["clinical", "00000000-0000-0000-0000-000000000000"]
    )
    assert client.get(unknown).status_code == 404
    assert (
        client.get(_url(assessment).replace(str(assessment.uuid), "not-a-uuid")).status_code == 404
    )


def _many_pending(patient: Patient, prescriber: User, trainee: User, rows: int) -> list[str]:
    """``rows`` pending clearances, oldest first (later assessments of the same intake)."""
    first = _pending_clearance(patient, prescriber, trainee)
    start = timezone.now() - timedelta(days=rows)
    first.created_at = start
    first.save(update_fields=["created_at"])
    uuids = [str(first.uuid)]
    for number in range(1, rows):
        copy = ClinicalAssessment.objects.create(
            patient=patient,
            intake=first.intake,
            assessed_by=trainee,
            decision=Decision.CLEARED,
            working_diagnoses="Major depressive disorder",
            cosignature_required_from=first.cosignature_required_from,
            created_at=start + timedelta(hours=number),
        )
        uuids.append(str(copy.uuid))
    return uuids


@pytest.mark.parametrize("rows", [1, 50])
def test_the_queue_lists_clearances_oldest_first_within_its_query_budget(
    patient: Patient,
    prescriber: User,
    therapist: User,
    supervisor: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    uuids = _many_pending(patient, prescriber, therapist, rows)
    client = _client(supervisor)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = client.get(reverse("integration:supervision_queue"))
    listed = [str(row.assessment.uuid) for row in response.context["clearances"]]
    assert listed == uuids
    assert f"Clearances awaiting your co-signature ({rows})".encode() in response.content


@pytest.mark.parametrize("rows", [1, 50])
def test_the_landing_page_counts_clearances_awaiting_cosignature(
    patient: Patient,
    prescriber: User,
    therapist: User,
    supervisor: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    uuids = _many_pending(patient, prescriber, therapist, rows)
    client = _client(supervisor)
    client.get("/clinician/")
    with django_assert_max_num_queries(32):  # type: ignore[operator]
        response = client.get("/clinician/")
    plural = "s" if rows > 1 else ""
    content = response.content.decode()
    assert f">{rows}</span> clearance{plural} awaiting your co-signature" in content
    # The oldest five are linked, oldest first.
    shown = sorted((u for u in uuids if u in content), key=content.index)
    assert shown == uuids[:5]
