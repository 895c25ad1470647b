"""What the intake's messages say: the context builders registered with the notifications app."""

from __future__ import annotations

import pytest

from intake import services
from intake.models import Alert, Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import context_build, message_render
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
    rendered = message_render(message)
    assert rendered is not None
    body = rendered.text
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
    rendered = message_render(message)
    assert rendered is not None
    body = rendered.text
    assert str(patient.uuid) in body  # the link to the summary, behind sign-in
    assert patient.legal_last_name not in body
    assert "PHQ" not in body
    Alert.objects.all().delete()
    assert context_build(message) is None


def test_the_invitation_reminder_renders_with_its_link_while_the_invitation_is_open(
    front_desk: User,
) -> None:
    patient = PatientFactory(legal_first_name="Rowan")
    invitation = services.invitation_send(patient=patient, by=front_desk)
    reminders = Message.objects.filter(template_key="intake.invitation_reminder")
    assert reminders.count() == 2
    for reminder in reminders:
        rendered = message_render(reminder)
        assert rendered is not None
        assert services.invitation_token(invitation) in rendered.text
        assert rendered.sms
