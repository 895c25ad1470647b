"""Staff accounts: invitations, roles, deactivation, the last clinic admin, one's own email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.tokens.services import api_token_create
from kap_clinic.audit.models import AuditEvent
from kap_clinic.clinic import services
from kap_clinic.clinic.models import EmailChange, StaffInvitation
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.tasks import message_send
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-password-42"


def _link_from_outbox(template_key: str) -> str:
    message = Message.objects.filter(template_key=template_key).latest("id")
    message_send.apply(args=(message.id,)).get()
    body = mail.outbox[-1].body
    found = re.search(r"http://\S+/setup/\S+/", body)
    assert found, body
    return found.group(0).split("://", 1)[1].split("/", 1)[1]


def test_an_invited_therapist_sets_a_password_from_the_email_and_signs_in(
    clinic_admin: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        "/setup/staff/invite/",
        {"full_name": "Tess Theron", "email": "Tess@Example.org", "role": "therapist"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="tess@example.org")
    assert (user.role, user.is_superuser, user.has_usable_password()) == (
        Role.THERAPIST,
        False,
        False,
    )
    assert user.groups.filter(name="therapist").exists()
    assert AuditEvent.objects.filter(object_id=str(user.uuid), action="create").exists()
    path = "/" + _link_from_outbox("clinic.staff_invitation")
    assert mail.outbox[-1].to == ["tess@example.org"]
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert b"Welcome, Tess" in page.content
    done = client.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.login(username="tess@example.org", password=NEW_PASSWORD)
    # The link works once.
    client.logout()
    again = client.get(path)
    assert again.status_code == 400
    assert b"used already" in again.content


def test_a_tampered_invitation_link_is_refused(client: Client) -> None:
    response = client.get("/setup/invitation/not-a-token/")
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_inviting_an_existing_email_is_refused_on_the_field_and_nothing_saved(
    clinic_admin: User, therapist: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    before = User.objects.count()
    response = client.post(
        "/setup/staff/invite/",
        {"full_name": "Someone", "email": therapist.email.upper(), "role": "therapist"},
    )
    assert response.status_code == 200
    assert "Someone already has an account with this email." in response.content.decode()
    assert User.objects.count() == before


def test_staff_cannot_be_invited_as_patients_or_superusers(
    clinic_admin: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    for role in ("patient", "superuser"):
        response = client.post(
            "/setup/staff/invite/",
            {"full_name": "X", "email": f"{role}@example.org", "role": role},
        )
        assert response.status_code == 200
        assert not User.objects.filter(email=f"{role}@example.org").exists()
    with pytest.raises(ValidationError):
        services.staff_invite(
            email="p@example.org", full_name="P", role=Role.PATIENT, by=clinic_admin
        )


def test_the_last_clinic_admin_can_be_neither_demoted_nor_deactivated(
    clinic_admin: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    response = client.post(f"/setup/staff/{clinic_admin.uuid}/role/", {"role": "therapist"})
    assert response.status_code == 200
    assert "last active clinic admin" in response.content.decode()
    response = client.post(f"/setup/staff/{clinic_admin.uuid}/deactivate/", follow=True)
    assert "last active clinic admin" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert (clinic_admin.role, clinic_admin.is_active) == (Role.CLINIC_ADMIN, True)
    # With a second admin, the first may step down.
    UserFactory(role=Role.CLINIC_ADMIN)
    services.staff_role_change(user=clinic_admin, role=Role.THERAPIST, by=clinic_admin)
    clinic_admin.refresh_from_db()
    assert (clinic_admin.role, clinic_admin.is_staff, clinic_admin.is_superuser) == (
        Role.THERAPIST,
        False,
        False,
    )


def test_an_admin_changes_roles_and_deactivates_with_an_audit_row_each(
    clinic_admin: User, therapist: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    client.post(f"/setup/staff/{therapist.uuid}/role/", {"role": "prescriber"})
    client.post(f"/setup/staff/{therapist.uuid}/deactivate/")
    therapist.refresh_from_db()
    assert (therapist.role, therapist.is_active) == (Role.PRESCRIBER, False)
    details = list(
        AuditEvent.objects.filter(object_id=str(therapist.uuid))
        .order_by("id")
        .values_list("actor_id", "detail")
    )
    assert details == [
        (clinic_admin.id, "role therapist -> prescriber"),
        (clinic_admin.id, "staff deactivated"),
    ]
    assert not client.login(username=therapist.email, password=TEST_PASSWORD)
    client.force_login(clinic_admin)
    client.post(f"/setup/staff/{therapist.uuid}/reactivate/")
    therapist.refresh_from_db()
    assert therapist.is_active


def test_nobody_changes_another_users_email_or_password_here(
    clinic_admin: User, therapist: User, client: Client
) -> None:
    client.force_login(clinic_admin)
    page = client.get(f"/setup/staff/{therapist.uuid}/").content.decode()
    assert "Change your email address" not in page
    for name in ("email", "password", "is_superuser"):
        assert f'name="{name}"' not in page
    password_before = therapist.password
    client.post(
        f"/setup/staff/{therapist.uuid}/role/",
        {"role": "therapist", "email": "x@example.org", "is_superuser": "on"},
    )
    therapist.refresh_from_db()
    assert (therapist.email, therapist.password, therapist.is_superuser) == (
        therapist.email,
        password_before,
        False,
    )


def test_a_user_changes_their_own_email_from_a_link_sent_to_the_new_address(
    therapist: User, client: Client
) -> None:
    client.force_login(therapist)
    wrong = client.post("/setup/email/", {"new_email": "new@example.org", "password": "wrong"})
    assert "That is not your current password." in wrong.content.decode()
    assert not EmailChange.objects.exists()
    client.post("/setup/email/", {"new_email": "New@Example.org", "password": TEST_PASSWORD})
    therapist.refresh_from_db()
    assert therapist.email != "new@example.org"  # not until confirmed
    path = "/" + _link_from_outbox("clinic.email_change")
    assert mail.outbox[-1].to == ["new@example.org"]
    client.logout()
    response = client.get(path)
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.email == "new@example.org"
    assert client.get(path).status_code == 400  # once only
    assert AuditEvent.objects.filter(object_id=str(therapist.uuid), detail="email changed").exists()


def test_an_email_change_to_a_taken_address_is_refused(therapist: User, prescriber: User) -> None:
    with pytest.raises(ValidationError, match="already has an account"):
        services.email_change_request(user=therapist, new_email=prescriber.email)


def test_the_clinic_templates_render_strictly(clinic_admin: User) -> None:
    invitation = services.staff_invite(
        email="r@example.org", full_name="Rae", role=Role.FRONT_DESK, by=clinic_admin
    )
    change = services.email_change_request(user=clinic_admin, new_email="admin2@example.org")
    for message in Message.objects.filter(
        template_key__in=["clinic.staff_invitation", "clinic.email_change"]
    ):
        rendered = message_render(message)
        assert rendered is not None
        assert rendered.subject
        assert rendered.text
        assert rendered.sms
    assert StaffInvitation.objects.get() == invitation
    assert change.new_email == "admin2@example.org"


def test_deactivating_a_staff_member_revokes_their_api_tokens(
    clinic_admin: User, therapist: User, rf: RequestFactory
) -> None:
    request = rf.post("/accounts/security/")
    request.user = therapist
    token, _secret = api_token_create(request=request, user=therapist, name="Scheduler")
    services.staff_deactivate(user=therapist, by=clinic_admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
