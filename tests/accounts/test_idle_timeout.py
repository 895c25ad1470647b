import time

import pytest
from django.test import Client
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.middleware import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db


def _idle_for(client: Client, minutes: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - minutes * 60
    session.save()


def test_staff_are_signed_out_after_15_idle_minutes(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("accounts:desk")).status_code == 200
    _idle_for(client, 14)
    assert client.get(reverse("accounts:desk")).status_code == 200
    _idle_for(client, 16)
    response = client.get(reverse("accounts:desk"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    follow = client.get(response["Location"])
    assert "signed out after a period of inactivity" in follow.content.decode()


def test_patients_may_stay_idle_for_30_minutes(client: Client, patient_user: User) -> None:
    client.force_login(patient_user)
    client.get(reverse("accounts:portal"))
    _idle_for(client, 20)
    assert client.get(reverse("accounts:portal")).status_code == 200
    _idle_for(client, 31)
    assert client.get(reverse("accounts:portal")).status_code == 302


def test_an_htmx_request_after_the_timeout_is_told_where_to_go(
    client: Client, therapist: User
) -> None:
    client.force_login(therapist)
    client.get(reverse("accounts:clinician"))
    _idle_for(client, 16)
    response = client.get(reverse("accounts:clinician"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
