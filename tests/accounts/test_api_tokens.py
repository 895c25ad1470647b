"""API tokens expire, are listed and revocable by their owner and by admins, stop on a password
change or deactivation, and record their last use (issue 17, item 3: tokens were permanent)."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kap_clinic.accounts.models import ApiToken, User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/inbox/"


def _create(client: Client, user: User, name: str = "reporting script") -> str:
    client.force_login(user)
    response = client.post(reverse("accounts:api_token_create"), {"name": name})
    assert response.status_code == 200
    match = re.search(r'data-testid="new-api-token">(kap_[^<]+)<', response.content.decode())
    assert match
    return match.group(1)


def _refused(response: Any) -> bool:
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate challenge.
    return response.status_code == 403 and "Invalid, expired or revoked token" in str(
        response.json()
    )


def _api(secret: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


def test_a_new_token_works_expires_by_policy_and_records_its_use(
    client: Client, therapist: User, settings: Any
) -> None:
    secret = _create(client, therapist)
    token = ApiToken.objects.get(user=therapist)
    assert token.digest != secret
    assert secret not in token.prefix
    lifetime = token.expires_at - token.created_at
    assert lifetime == timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    assert token.last_used_at is None
    response = _api(secret).get(INBOX)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(token.uuid)).exists()
    # The secret is shown once: the list shows its first characters only.
    page = client.get(reverse("accounts:account_security")).content.decode()
    assert secret not in page
    assert token.prefix in page


def test_an_expired_token_is_refused(client: Client, therapist: User) -> None:
    secret = _create(client, therapist)
    ApiToken.objects.filter(user=therapist).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _refused(_api(secret).get(INBOX))


def test_the_owner_revokes_a_token(client: Client, therapist: User) -> None:
    secret = _create(client, therapist)
    token = ApiToken.objects.get(user=therapist)
    response = client.post(reverse("accounts:api_token_revoke", args=[token.uuid]))
    assert response.status_code == 302
    assert _refused(_api(secret).get(INBOX))
    assert AuditEvent.objects.filter(detail="API token revoked: by its owner").exists()


def test_a_clinic_admin_revokes_a_staff_token_but_nobody_else_can(
    client: Client, therapist: User, clinic_admin: User, front_desk: User, patient_user: User
) -> None:
    secret = _create(client, therapist)
    token = ApiToken.objects.get(user=therapist)
    other = Client()
    other.force_login(front_desk)
    assert other.post(reverse("accounts:api_token_revoke", args=[token.uuid])).status_code == 404
    patient_secret = _create(Client(), patient_user)
    patient_token = ApiToken.objects.get(user=patient_user)
    admin = Client()
    admin.force_login(clinic_admin)
    page = admin.get(reverse("accounts:staff_security")).content.decode()
    assert token.prefix in page
    url = reverse("accounts:api_token_revoke", args=[patient_token.uuid])
    assert admin.post(url).status_code == 404
    assert _api(patient_secret).get(INBOX).status_code == 200
    assert admin.post(reverse("accounts:api_token_revoke", args=[token.uuid])).status_code == 302
    assert _refused(_api(secret).get(INBOX))
    assert (
        AuditEvent.objects.get(detail="API token revoked: by a clinic admin").actor == clinic_admin
    )


def test_a_password_change_revokes_every_token(client: Client, therapist: User) -> None:
    secret = _create(client, therapist)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "sunflower-velvet-harbor",
            "new_password2": "sunflower-velvet-harbor",
        },
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(user=therapist).revoked_at is not None
    assert _refused(_api(secret).get(INBOX))


def test_a_password_set_anywhere_stops_the_token(client: Client, therapist: User) -> None:
    secret = _create(client, therapist)
    therapist.set_password("sunflower-velvet-harbor")
    therapist.save()
    assert _refused(_api(secret).get(INBOX))
    assert ApiToken.objects.get(user=therapist).revoked_at is not None


def test_a_deactivated_users_token_is_refused(client: Client, therapist: User) -> None:
    secret = _create(client, therapist)
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    assert _refused(_api(secret).get(INBOX))


def test_the_old_permanent_drf_tokens_open_nothing(therapist: User) -> None:
    from rest_framework.authtoken.models import Token

    legacy = Token.objects.create(user=therapist)
    assert _refused(_api(legacy.key).get(INBOX))


@pytest.mark.parametrize("rows", [1, 30])
def test_the_security_pages_keep_a_fixed_number_of_queries(
    client: Client, clinic_admin: User, django_assert_max_num_queries: Any, rows: int
) -> None:
    now = timezone.now()
    for index in range(rows):
        member = UserFactory(role=Role.THERAPIST)
        for owner in (member, clinic_admin):
            ApiToken.objects.create(
                user=owner,
                name=f"token {index}",
                prefix=f"p{index:07d}",
                digest=f"{owner.pk:032d}{index:032d}",
                password_stamp="x",
                expires_at=now + timedelta(days=1),
            )
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("accounts:staff_security")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("accounts:account_security")).status_code == 200
