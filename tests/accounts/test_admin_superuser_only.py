"""Django's admin is for superusers who passed the second factor; their user and group changes
are audited as themselves. A clinic admin gets no admin access at all (issue 17, item 1)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(
        "root@example.org", TEST_PASSWORD, full_name="Test Superuser"
    )


def _user_form(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "supervisor": "",
        "is_active": "on",
        "groups": [group.pk for group in user.groups.all()],
    }
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/", "/admin/auth/group/"])
def test_a_clinic_admin_gets_no_admin_page(client: Client, clinic_admin: User, path: str) -> None:
    client.force_login(clinic_admin)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_clinic_admin_cannot_make_themself_superuser(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        f"/admin/accounts/user/{clinic_admin.pk}/change/",
        _user_form(clinic_admin, is_superuser="on", is_staff="on"),
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    clinic_admin.refresh_from_db()
    assert not clinic_admin.is_superuser


def test_a_clinic_admin_cannot_change_a_therapists_email_or_groups(
    client: Client, clinic_admin: User, therapist: User
) -> None:
    client.force_login(clinic_admin)
    admin_group = Group.objects.get(name=Role.CLINIC_ADMIN.value)
    client.post(
        f"/admin/accounts/user/{therapist.pk}/change/",
        _user_form(therapist, email="taken-over@example.org", groups=[admin_group.pk]),
    )
    client.post(
        f"/admin/auth/group/{admin_group.pk}/change/", {"name": "renamed", "permissions": []}
    )
    therapist.refresh_from_db()
    assert therapist.email != "taken-over@example.org"
    assert list(therapist.groups.values_list("name", flat=True)) == ["therapist"]
    assert Group.objects.filter(name=Role.CLINIC_ADMIN.value).exists()


def test_a_clinic_admin_cannot_reset_a_password_through_the_admin(
    client: Client, clinic_admin: User, therapist: User
) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        f"/admin/accounts/user/{therapist.pk}/password/",
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )
    assert response.status_code in (302, 404)
    therapist.refresh_from_db()
    assert therapist.check_password(TEST_PASSWORD)


@pytest.mark.real_second_factor
def test_a_superuser_without_the_second_factor_gets_no_admin(
    client: Client, superuser: User
) -> None:
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert not response["Location"].startswith("/admin/accounts")


def test_a_superusers_email_change_through_the_admin_is_audited_as_the_superuser(
    client: Client, superuser: User, therapist: User
) -> None:
    client.force_login(superuser)
    assert client.get(f"/admin/accounts/user/{therapist.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/accounts/user/{therapist.pk}/change/",
        _user_form(therapist, email="new-address@example.org"),
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.email == "new-address@example.org"
    change = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(therapist.uuid))
    assert change.actor == superuser
    assert change.detail == "admin: changed email"
    assert "new-address" not in change.detail
    opened = AuditEvent.objects.get(action=AuditAction.READ, object_type="accounts.user")
    assert opened.actor == superuser


def test_a_superusers_group_changes_through_the_admin_are_audited(
    client: Client, superuser: User, therapist: User
) -> None:
    client.force_login(superuser)
    admin_group = Group.objects.get(name=Role.CLINIC_ADMIN.value)
    client.post(
        f"/admin/accounts/user/{therapist.pk}/change/",
        _user_form(therapist, groups=[admin_group.pk]),
    )
    event = AuditEvent.objects.get(
        action=AuditAction.UPDATE, object_id=str(therapist.uuid), detail__startswith="admin: groups"
    )
    assert event.actor == superuser
    assert event.detail == "admin: groups added clinic_admin; removed therapist"

    client.post(
        f"/admin/auth/group/{admin_group.pk}/change/", {"name": "clinic_admin", "permissions": []}
    )
    group_event = AuditEvent.objects.get(
        object_type="auth.group", action=AuditAction.UPDATE, detail__contains="permissions added"
    )
    assert group_event.actor == superuser
    assert group_event.detail.startswith("admin: permissions added 0, removed ")


def test_no_psychotherapy_note_is_readable_through_the_admin(
    client: Client, superuser: User
) -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert not any("psychotherapy" in label for label in registered)
    client.force_login(superuser)
    response = client.get("/admin/integration/psychotherapynote/")
    assert response.status_code == 404
