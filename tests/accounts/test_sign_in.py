import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LANDINGS = [
    (Role.PATIENT, "/portal/", "Your portal"),
    (Role.FRONT_DESK, "/desk/", "Front desk"),
    (Role.THERAPIST, "/clinician/", "Your day"),
    (Role.PRESCRIBER, "/clinician/", "Your day"),
    (Role.CLINIC_ADMIN, "/clinic-admin/", "Clinic administration"),
]


@pytest.mark.parametrize(("role", "landing", "heading"), LANDINGS)
def test_each_role_signs_in_and_lands_on_its_page(
    client: Client, role: Role, landing: str, heading: str
) -> None:
    user = UserFactory(role=role, email=f"{role.value}@example.org")
    response = client.post(
        reverse("accounts:login"),
        {"username": "  " + user.email.upper(), "password": TEST_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200
    assert f'<h1 class="h3 mb-4">{heading}</h1>' in response.content.decode()
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.SIGN_IN).count() == 1


def test_a_wrong_password_re_renders_the_form_with_an_error(
    client: Client, front_desk: User
) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": front_desk.email, "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct email" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_roles_are_groups_holding_their_permissions(front_desk: User, therapist: User) -> None:
    assert {group.name for group in Group.objects.all()} >= {role.value for role in Role}
    assert list(front_desk.groups.values_list("name", flat=True)) == ["front_desk"]
    assert front_desk.has_perm("intake.view_patient")
    assert not front_desk.has_perm("intake.view_clinical_record")
    assert therapist.has_perm("intake.view_clinical_record")


def test_sign_out_ends_the_session(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:desk")).status_code == 302
    assert AuditEvent.objects.filter(actor=front_desk, action=AuditAction.SIGN_OUT).exists()


def test_password_change_needs_the_old_password(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    url = reverse("accounts:password_change")
    bad = client.post(
        url,
        {
            "old_password": "wrong",
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert bad.status_code == 200
    front_desk.refresh_from_db()
    assert front_desk.check_password(TEST_PASSWORD)

    good = client.post(
        url,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert good.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("a-new-long-passphrase")
    assert front_desk.password.startswith("argon2")


def test_password_reset_by_email_sets_a_new_password(client: Client, therapist: User) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": therapist.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line
    )
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "fresh-and-long-enough", "new_password2": "fresh-and-long-enough"},
    )
    assert done.status_code == 302
    therapist.refresh_from_db()
    assert therapist.check_password("fresh-and-long-enough")
    # The link works once.
    assert (
        "invalid or has already been used" in client.get("/" + path, follow=True).content.decode()
    )


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client,
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
