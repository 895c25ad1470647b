"""Labels in clinic words: the audit log names who and which patient; no raw keys on pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.models import Message
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_the_audit_log_names_the_staff_member_and_the_patient(
    client: Client, patient: Patient, therapist: User, clinic_admin: User
) -> None:
    audit_record(action=AuditAction.READ, actor=therapist, obj=patient, detail="chart: notes")
    client.force_login(clinic_admin)
    page = client.get(reverse("audit:event_list")).content.decode()
    assert therapist.full_name in page
    assert f"{patient.display_name} (MRN {patient.mrn})" in page
    assert "Patient record" in page
    assert f">{patient.uuid}<" not in page
    assert ">intake.patient" not in page  # the filter's option values may carry it
    assert "audit-table" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_the_audit_log_keeps_its_query_count(
    client: Client,
    therapist: User,
    clinic_admin: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for _ in range(rows):
        audit_record(action=AuditAction.READ, actor=therapist, obj=PatientFactory())
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(reverse("audit:event_list")).status_code == 200


def test_the_policy_page_speaks_clinic_words(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    page = client.get(reverse("intake:clinic_policy_edit")).content.decode()
    assert "PCL-5 score for probable PTSD" in page
    assert "Pcl5 cut point" not in page


def test_the_message_log_names_messages_not_template_keys(
    client: Client, patient: Patient, front_desk: User
) -> None:
    now = timezone.now()
    Message.objects.create(
        recipient_kind="patient",
        recipient_id=str(patient.uuid),
        channel="email",
        template_key="sessions.session_reminder_24h",
        send_at=now + timedelta(hours=1),
        idempotency_key="label-test",
    )
    client.force_login(front_desk)
    page = client.get(reverse("notifications:message_log")).content.decode()
    assert "Session reminder 24h" in page
    assert "sessions.session_reminder_24h" not in page
