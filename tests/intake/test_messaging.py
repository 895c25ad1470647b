"""What the intake's messages say: the context builders registered with the notifications app."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from intake import services
from intake.models import Alert, Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import context_build, template_names
from kap_clinic.notifications.models import Message
from tests.factories import PatientFactory
from tests.intake.answers import submitted_intake

pytestmark = pytest.mark.django_db


def test_the_invitation_email_carries_a_working_link(front_desk: User) -> None:
    patient = PatientFactory(legal_first_name="Harper")
    invitation = services.invitation_send(patient=patient, by=front_desk)
    message = Message.objects.get(template_key="intake.invitation")
    context = context_build(message)
    assert context is not None
    assert context["link"].endswith(
        f"/patients/invitation/{services.invitation_token(invitation)}/"
    )
    body = render_to_string(template_names("intake.invitation").text, context)
    assert "Harper" in body
    assert context["link"] in body


def test_a_used_invitation_sends_no_reminder(front_desk: User) -> None:
    patient = PatientFactory()
    invitation = services.invitation_send(patient=patient, by=front_desk)
    services.invitation_accept(
        token=services.invitation_token(invitation), password="synthetic-pass-for-tests-7"
    )
    reminder = Message.objects.filter(template_key="intake.invitation_reminder").first()
    assert reminder is not None
    assert context_build(reminder) is None


def test_the_safety_alert_message_holds_no_clinical_detail(
    patient: Patient, therapist: User
) -> None:
    submitted_intake(patient, phq9={"item9": 3}, cssrs={"q1": 1, "q2": 0, "q6": 0})
    message = Message.objects.filter(
        template_key="intake.safety_alert", recipient_user=therapist
    ).get()
    context = context_build(message)
    assert context is not None
    body = render_to_string(template_names("intake.safety_alert").text, context)
    assert str(patient.uuid) in body  # the link to the summary, behind sign-in
    assert patient.legal_last_name not in body
    assert "PHQ" not in body
    Alert.objects.all().delete()
    assert context_build(message) is None
