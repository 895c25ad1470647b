"""Break the glass: a clinician outside the care team opens a chart in an emergency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent, EmergencyAccess
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_a_search_shows_patients_outside_the_team_with_emergency_access(
    client: Client, outsider: User, patient: Patient
) -> None:
    client.force_login(outsider)
    page = client.get(reverse("intake:patient_list"), {"q": patient.legal_last_name})
    content = page.content.decode()
    assert "Outside your care team" in content
    assert reverse("intake:emergency_access", args=[patient.uuid]) in content
    # Not a link to the chart itself.
    assert f'href="{reverse("intake:patient_detail", args=[patient.uuid])}"' not in content


def test_front_desk_and_patients_get_no_emergency_access(
    client: Client, front_desk: User, other_patient: Patient, patient: Patient
) -> None:
    url = reverse("intake:emergency_access", args=[patient.uuid])
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    client.force_login(other_patient.user)
    assert client.get(url).status_code == 403


def test_a_reason_is_required(client: Client, outsider: User, patient: Patient) -> None:
    client.force_login(outsider)
    url = reverse("intake:emergency_access", args=[patient.uuid])
    response = client.post(url, {"reason": "now"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.content.decode()
    assert not EmergencyAccess.objects.exists()
    chart = reverse("intake:patient_detail", args=[patient.uuid])
    assert client.get(chart).status_code == 404


def test_emergency_access_opens_the_chart_for_a_time_is_audited_and_tells_the_team(
    client: Client,
    outsider: User,
    patient: Patient,
    prescriber: User,
    therapist: User,
    clinic_admin: User,
    settings: object,
) -> None:
    client.force_login(outsider)
    chart = reverse("intake:patient_detail", args=[patient.uuid])
    assert client.get(chart).status_code == 404
    response = client.post(
        reverse("intake:emergency_access", args=[patient.uuid]),
        {"reason": "Patient collapsed in the waiting room; need allergies"},
    )
    assert response.status_code == 302
    assert response["Location"] == chart
    assert client.get(chart).status_code == 200

    grant = EmergencyAccess.objects.get()
    assert grant.user == outsider
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    event = AuditEvent.objects.get(action=AuditAction.EMERGENCY_ACCESS)
    assert event.actor == outsider
    assert event.object_id == str(patient.uuid)
    assert "collapsed" not in event.detail  # the reason stays in the grant, not the audit row

    messages = Message.objects.filter(template_key="security.emergency_access")
    assert {m.recipient_user for m in messages} == {prescriber, therapist, clinic_admin}
    assert all(m.urgent and set(m.refs) == {"grant", "path"} for m in messages)
    rendered = message_render(messages.filter(recipient_user=therapist).first())
    assert rendered is not None
    assert "Other Team Therapist opened the chart of a patient in your care" in rendered.text
    assert patient.legal_last_name not in rendered.text

    # Time-limited: once it runs out, the chart answers 404 again.
    EmergencyAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(chart).status_code == 404


def test_the_care_team_is_sent_straight_to_the_chart(
    client: Client, therapist: User, patient: Patient
) -> None:
    client.force_login(therapist)
    response = client.get(reverse("intake:emergency_access", args=[patient.uuid]))
    assert response.status_code == 302
    assert not EmergencyAccess.objects.exists()
