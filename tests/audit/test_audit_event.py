import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent, AuditEventImmutableError
from kap_clinic.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(therapist: User) -> AuditEvent:
    return audit_record(
        action=AuditAction.READ, actor=therapist, object_type="intake.patient", object_id="abc"
    )


def test_the_database_refuses_to_update_audit_rows(event: AuditEvent) -> None:
    assert connection.vendor == "postgresql", "the append-only trigger is PostgreSQL's"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.DELETE)
    event.refresh_from_db()
    assert event.action == AuditAction.READ


def test_the_database_refuses_to_delete_audit_rows(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_model_refuses_to_save_or_delete_an_existing_row(event: AuditEvent) -> None:
    event.detail = "changed"
    with pytest.raises(AuditEventImmutableError):
        event.save()
    with pytest.raises(AuditEventImmutableError):
        event.delete()


def test_the_audit_log_is_for_clinic_admins(
    client: Client, clinic_admin: User, front_desk: User, event: AuditEvent
) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("audit:event_list")).status_code == 403
    client.force_login(clinic_admin)
    response = client.get(reverse("audit:event_list"), {"object_id": "abc"})
    assert response.status_code == 200
    # An object no longer found is named by its kind, in clinic words (issue #10).
    assert "<td>Patient record</td>" in response.content.decode()
