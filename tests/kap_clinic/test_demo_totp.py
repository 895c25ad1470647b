"""The demo staff have authenticators with known secrets; `demo_totp` prints codes that work."""

import io
import re

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic.accounts.roles import Role
from kap_clinic.demo import DEMO_LOGINS, demo_seed

pytestmark = pytest.mark.django_db


def test_demo_totp_prints_a_working_code_for_each_demo_staff_login() -> None:
    demo_seed()
    demo_seed()  # idempotent: still one demo authenticator each
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    codes = dict(re.findall(r"^\s+(\S+@\S+)\s+(\d{6})$", out.getvalue(), flags=re.MULTILINE))
    staff = [login.email for login in DEMO_LOGINS if login.role != Role.PATIENT]
    assert sorted(codes) == sorted(staff)
    for email, code in codes.items():
        device = TOTPDevice.objects.get(user__email=email)
        assert device.verify_token(code)
    assert not TOTPDevice.objects.filter(user__email="patient@kap.example.org").exists()
