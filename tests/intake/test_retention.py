"""Retention: deactivating keeps the record; past the retention period two admins purge it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import retention
from intake.models import Patient, PatientPurge, PatientPurgeStatus
from integration import services as integration_services
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.chain import audit_chain_check
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions.models import Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_admin() -> User:
    return UserFactory(role=Role.CLINIC_ADMIN, full_name="Second Admin")


@pytest.fixture
def treated_patient(patient: Patient, therapist: User) -> Patient:
    course: Course = CourseFactory(
        patient=patient, prescriber=patient.prescriber, therapist=therapist
    )
    appointment = IntegrationAppointmentFactory(course=course, kind="integration")
    integration_services.note_start(appointment=appointment, by=therapist)
    integration_services.psychotherapy_note_create(
        patient=patient, body="Synthetic process note.", by=therapist
    )
    return patient


def _past_retention(patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(
        deactivated_at=timezone.now() - timedelta(days=366 * 11)
    )


def test_deactivating_keeps_the_record_and_stops_the_sign_in(
    client: Client, treated_patient: Patient, clinic_admin: User
) -> None:
    client.force_login(clinic_admin)
    response = client.post(reverse("intake:patient_deactivate", args=[treated_patient.uuid]))
    assert response.status_code == 302
    treated_patient.refresh_from_db()
    assert treated_patient.deactivated_at is not None
    assert treated_patient.user is not None
    assert treated_patient.user.is_active is False
    assert Course.objects.filter(patient=treated_patient).exists()
    assert AuditEvent.objects.filter(
        object_id=str(treated_patient.uuid), detail="record deactivated", actor=clinic_admin
    ).exists()


def test_only_records_past_retention_can_be_purged(
    treated_patient: Patient, clinic_admin: User, therapist: User
) -> None:
    retention.patient_deactivate(patient=treated_patient, by=clinic_admin)
    with pytest.raises(ValidationError, match="deactivated more than 10 years ago"):
        retention.patient_purge_request(patient=treated_patient, by=clinic_admin)
    _past_retention(treated_patient)
    with pytest.raises(ValidationError, match="Only clinic admins"):
        retention.patient_purge_request(patient=treated_patient, by=therapist)


def test_a_purge_needs_a_second_admin_and_leaves_a_tombstone(
    treated_patient: Patient, clinic_admin: User, second_admin: User
) -> None:
    retention.patient_deactivate(patient=treated_patient, by=clinic_admin)
    _past_retention(treated_patient)
    purge = retention.patient_purge_request(patient=treated_patient, by=clinic_admin)
    with pytest.raises(ValidationError, match="second clinic admin"):
        retention.patient_purge_confirm(purge=purge, by=clinic_admin)
    assert Patient.objects.filter(pk=treated_patient.pk).exists()

    sign_in = treated_patient.user
    retention.patient_purge_confirm(purge=purge, by=second_admin)
    assert not Patient.objects.filter(pk=treated_patient.pk).exists()
    assert not Course.objects.filter(patient_id=treated_patient.pk).exists()
    purge.refresh_from_db()
    assert purge.status == PatientPurgeStatus.DONE
    assert purge.confirmed_by == second_admin
    tombstone = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert tombstone.object_id == str(treated_patient.uuid)
    assert str(clinic_admin.uuid) in tombstone.detail
    assert treated_patient.legal_last_name not in tombstone.detail
    assert sign_in is not None
    sign_in.refresh_from_db()
    assert sign_in.is_active is False
    assert sign_in.email.startswith("purged-")
    # The audit rows about the record stay, and the chain is intact.
    assert AuditEvent.objects.filter(object_id=str(treated_patient.uuid)).count() >= 3
    assert audit_chain_check().ok


def test_the_retention_page_walks_two_admins_through_a_purge(
    client: Client, treated_patient: Patient, clinic_admin: User, second_admin: User
) -> None:
    retention.patient_deactivate(patient=treated_patient, by=clinic_admin)
    _past_retention(treated_patient)
    client.force_login(clinic_admin)
    page = client.get(reverse("intake:retention")).content.decode()
    assert treated_patient.legal_last_name in page
    client.post(reverse("intake:purge_request", args=[treated_patient.uuid]))
    purge = PatientPurge.objects.get()
    client.post(reverse("intake:purge_decide", args=[purge.uuid, "confirm"]))
    assert Patient.objects.filter(pk=treated_patient.pk).exists()  # same admin: refused
    client.force_login(second_admin)
    client.post(reverse("intake:purge_decide", args=[purge.uuid, "confirm"]))
    assert not Patient.objects.filter(pk=treated_patient.pk).exists()


def test_retention_pages_are_for_clinic_admins(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("intake:retention")).status_code == 403
