"""Sign-in lockout per account and per address (django-axes), with failures and lockouts in the
audit record (issue 17, item 2: 50 wrong passwords, then the right one worked)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:login")


def _attempt(client: Client, email: str, password: str, address: str = "203.0.113.7") -> int:
    response = client.post(SIGN_IN, {"username": email, "password": password}, REMOTE_ADDR=address)
    return response.status_code


def test_the_policy_comes_from_settings() -> None:
    assert settings.AXES_ENABLED
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_MINUTES == 15


def test_the_right_password_is_refused_after_too_many_wrong_ones(
    client: Client, front_desk: User
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _attempt(client, front_desk.email, "wrong-password") in (200, 429)
    response = client.post(
        SIGN_IN,
        {"username": front_desk.email, "password": TEST_PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session

    failures = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert failures.count() >= settings.AXES_FAILURE_LIMIT
    assert set(failures.values_list("object_id", flat=True)) == {str(front_desk.uuid)}
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert all(
        front_desk.email not in detail for detail in failures.values_list("detail", flat=True)
    )
    locked = AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT)
    assert locked.exists()
    assert set(locked.values_list("object_id", "ip_address")) == {
        (str(front_desk.uuid), "203.0.113.7")
    }


def test_the_account_is_locked_whatever_the_address(client: Client, therapist: User) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, therapist.email, "wrong-password", address=f"198.51.100.{attempt + 1}")
    assert _attempt(client, therapist.email, TEST_PASSWORD, address="192.0.2.99") == 429


def test_the_address_is_locked_whatever_the_account(client: Client) -> None:
    targets = [UserFactory(role=Role.THERAPIST) for _ in range(settings.AXES_FAILURE_LIMIT)]
    for target in targets:
        _attempt(client, target.email, "wrong-password", address="198.51.100.200")
    fresh = UserFactory(role=Role.PATIENT)
    assert _attempt(client, fresh.email, TEST_PASSWORD, address="198.51.100.200") == 429
    # Another address signs the same account in.
    assert _attempt(client, fresh.email, TEST_PASSWORD, address="198.51.100.201") == 302


def test_an_unknown_email_is_audited_without_the_email(client: Client) -> None:
    _attempt(client, "nobody@example.org", "wrong-password")
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.object_type == "accounts.user"
    assert event.object_id == ""
    assert "nobody" not in event.detail


def test_the_test_clients_login_works_with_axes_on(client: Client, patient_user: User) -> None:
    assert client.login(email=patient_user.email, password=TEST_PASSWORD)
    assert client.get(reverse("accounts:portal")).status_code == 200
