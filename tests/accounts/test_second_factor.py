"""Two-factor sign-in: required for every staff role, offered to patients; recovery codes; the
clinic admin's reset (issue 17, item 2). These tests take the real, unverified path."""

import base64
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

SETUP = reverse("accounts:mfa_setup")
VERIFY = reverse("accounts:mfa_verify")


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:06d}"


def _sign_in(client: Client, user: User) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def _enrol(client: Client, user: User) -> list[str]:
    page = client.get(SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device), "next": "/"})
    assert response.status_code == 200
    return re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())


@pytest.mark.parametrize(
    "role", [Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN]
)
def test_staff_with_a_password_only_reach_no_staff_page(client: Client, role: Role) -> None:
    user = UserFactory(role=role)
    _sign_in(client, user)
    for path in ["/home/", "/patients/", "/sessions/calendar/", "/clinic-admin/", "/desk/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    api = client.get("/api/v1/notifications/inbox/")
    assert api.status_code == 403
    assert client.get(SETUP).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_enrolment_shows_a_local_qr_code_and_the_secret_then_recovery_codes_once(
    client: Client, front_desk: User
) -> None:
    _sign_in(client, front_desk)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=front_desk, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    assert secret in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "https://" not in page.split("<main", 1)[-1]

    wrong = client.post(SETUP, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/desk/").status_code == 302

    codes = _enrol(client, front_desk)
    assert len(codes) == 10
    assert client.get("/desk/").status_code == 200
    assert StaticDevice.objects.get(user=front_desk).token_set.count() == 10
    assert AuditEvent.objects.filter(
        actor=front_desk, action=AuditAction.UPDATE, detail="second factor enrolled"
    ).exists()


def test_an_enrolled_user_verifies_with_the_app_or_a_recovery_code_used_once(
    client: Client, therapist: User
) -> None:
    _sign_in(client, therapist)
    codes = _enrol(client, therapist)
    device = TOTPDevice.objects.get(user=therapist, confirmed=True)
    client.post(reverse("accounts:logout"))

    _sign_in(client, therapist)
    response = client.get("/clinician/")
    assert response["Location"].startswith(VERIFY)
    bad = client.post(VERIFY, {"code": "12345"})
    assert "That code is not right" in bad.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, detail="wrong second-factor code"
    ).exists()
    # A wrong code throttles every device for a moment (django-otp); the test does not wait.
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=therapist).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
    device.refresh_from_db()
    ok = client.post(VERIFY, {"code": code_for(device, drift=1), "next": "/clinician/"})
    assert ok["Location"] == "/clinician/"
    assert client.get("/clinician/").status_code == 200
    client.post(reverse("accounts:logout"))

    for attempt in range(2):
        _sign_in(client, therapist)
        response = client.post(VERIFY, {"code": codes[0]})
        if attempt == 0:
            assert response.status_code == 302
            assert client.get("/clinician/").status_code == 200
        else:
            assert response.status_code == 200  # a recovery code works once
        client.post(reverse("accounts:logout"))


def test_a_password_alone_cannot_replace_an_existing_second_factor(
    client: Client, prescriber: User
) -> None:
    _sign_in(client, prescriber)
    _enrol(client, prescriber)
    client.post(reverse("accounts:logout"))
    _sign_in(client, prescriber)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=prescriber, confirmed=False).exists()


def test_a_patient_may_turn_two_factor_on_and_then_needs_it(
    client: Client, patient_user: User
) -> None:
    _sign_in(client, patient_user)
    assert client.get("/portal/").status_code == 200
    assert (
        "Turn on two-factor sign-in"
        in client.get(reverse("accounts:account_security")).content.decode()
    )
    _enrol(client, patient_user)
    client.post(reverse("accounts:logout"))
    _sign_in(client, patient_user)
    response = client.get("/portal/")
    assert response["Location"].startswith(VERIFY)


def test_a_clinic_admin_resets_a_staff_members_lost_second_factor(
    client: Client, clinic_admin: User, front_desk: User
) -> None:
    staff_client = Client()
    _sign_in(staff_client, front_desk)
    _enrol(staff_client, front_desk)
    assert staff_client.get("/desk/").status_code == 200

    _sign_in(client, clinic_admin)
    _enrol(client, clinic_admin)
    page = client.get(reverse("accounts:staff_security")).content.decode()
    assert front_desk.full_name in page
    response = client.post(reverse("accounts:staff_second_factor_reset", args=[front_desk.uuid]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=front_desk).exists()
    assert not StaticDevice.objects.filter(user=front_desk).exists()
    event = AuditEvent.objects.get(detail="second factor reset by a clinic admin")
    assert event.actor == clinic_admin
    assert event.object_id == str(front_desk.uuid)
    # The staff member's sessions ended; they enrol again at the next sign-in.
    assert staff_client.get("/desk/").status_code == 302
    assert all(
        session.get_decoded().get("_auth_user_id") != str(front_desk.pk)
        for session in Session.objects.all()
    )


def test_only_a_verified_clinic_admin_resets_and_never_a_patients(
    client: Client, clinic_admin: User, therapist: User, patient_user: User
) -> None:
    _sign_in(client, therapist)
    _enrol(client, therapist)
    url = reverse("accounts:staff_second_factor_reset", args=[patient_user.uuid])
    assert client.post(url).status_code == 403
    client.post(reverse("accounts:logout"))
    _sign_in(client, clinic_admin)
    assert client.post(url).status_code == 302  # unverified: sent to set up first
    _enrol(client, clinic_admin)
    assert client.post(url).status_code == 404
