"""Smaller hardening (issue 17, item 9): no-store on signed-in responses, a Permissions-Policy,
expiring unsubscribe links, and a schema for signed-in users only."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.notifications.delivery import unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/desk/", "/patients/", "/api/v1/notifications/inbox/", "/api/schema/"]
)
def test_every_signed_in_response_is_no_store(client: Client, front_desk: User, path: str) -> None:
    client.force_login(front_desk)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_a_patient_page_and_the_patients_api_are_no_store(
    client: Client, patient: Patient, therapist: User
) -> None:
    client.force_login(therapist)
    for path in (f"/patients/{patient.uuid}/", f"/api/v1/patients/{patient.uuid}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_every_response_turns_off_device_features(client: Client) -> None:
    policy = client.get(reverse("accounts:login"))["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


def test_an_old_unsubscribe_link_opts_nobody_out(
    client: Client, patient: Patient, settings: Any
) -> None:
    token = unsubscribe_token(recipient_kind="patient", recipient_id=str(patient.uuid))
    later = (
        signing.time.time()
        + timedelta(days=settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS, seconds=1).total_seconds()
    )
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 404
    assert client.get(reverse("notifications:unsubscribe", args=[token])).status_code == 200


def test_the_schema_needs_sign_in_in_production(client: Client) -> None:
    response = client.get("/api/schema/")
    assert response.status_code in (401, 403)
    assert b"/api/v1/" not in response.content
