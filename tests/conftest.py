"""Fixtures shared by the whole suite: one user per role, plus an outsider and another patient."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.factories import PatientFactory, UserFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _second_factor_passed(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """Marks a staff sign-in (force_login, client.login, the browser's sign-in form) as having
    passed the second factor, with a real confirmed TOTP device of the user."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kap_clinic.accounts.mfa.services import ENROLLED_SESSION_KEY

    if not (user.is_clinic_staff or user.is_superuser):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.session[ENROLLED_SESSION_KEY] = True


@pytest.fixture(autouse=True)
def _second_factor_at_sign_in(request: pytest.FixtureRequest) -> Iterator[None]:
    """Staff must pass a second factor (TOTP) before any staff page. Every test's sign-in passes
    it automatically, except in tests marked ``real_second_factor`` (the MFA tests themselves)."""
    if request.node.get_closest_marker("real_second_factor"):
        yield
        return
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(_second_factor_passed, dispatch_uid="tests_second_factor_passed")
    yield
    user_logged_in.disconnect(dispatch_uid="tests_second_factor_passed")


@pytest.fixture(autouse=True)
def _client_login_with_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-axes needs the request in authenticate(); its documented test approach is to pass
    one to ``client.login()``, which this does for every test client."""
    original = Client.login

    def login(self: Client, **credentials: object) -> bool:
        if "request" not in credentials:
            fake_request = HttpRequest()
            fake_request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = fake_request
        return original(self, **credentials)

    monkeypatch.setattr(Client, "login", login)


@pytest.fixture
def prescriber() -> User:
    return UserFactory(role=Role.PRESCRIBER, full_name="Dr. Test Prescriber")


@pytest.fixture
def therapist() -> User:
    return UserFactory(role=Role.THERAPIST, full_name="Test Therapist")


@pytest.fixture
def front_desk() -> User:
    return UserFactory(role=Role.FRONT_DESK, full_name="Test Front Desk")


@pytest.fixture
def clinic_admin() -> User:
    return UserFactory(role=Role.CLINIC_ADMIN, full_name="Test Clinic Admin")


@pytest.fixture
def outsider() -> User:
    """A clinician of another care team."""
    return UserFactory(role=Role.THERAPIST, full_name="Other Team Therapist")


@pytest.fixture
def patient_user() -> User:
    return UserFactory(role=Role.PATIENT, full_name="Test Patient")


@pytest.fixture
def patient(patient_user: User, prescriber: User, therapist: User) -> Patient:
    return PatientFactory(user=patient_user, prescriber=prescriber, therapist=therapist)


@pytest.fixture
def other_patient() -> Patient:
    """A patient of another care team, with their own sign-in."""
    return PatientFactory(
        user=UserFactory(role=Role.PATIENT),
        prescriber=UserFactory(role=Role.PRESCRIBER),
        therapist=UserFactory(role=Role.THERAPIST),
    )


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment of the test run, for a child process (a worker, manage.py)."""
    env = dict(os.environ)
    # Set for the in-process browser tests only; a child process must keep Django's async guard.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # The suite sends SMS to the console and email to files with DEBUG off: allowed explicitly.
    env.setdefault("ALLOW_CONSOLE_SMS", "1")
    env.setdefault("ALLOW_FILE_EMAIL", "1")
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def celery_worker_process() -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker against the test broker (Redis under `make test`)."""
    from kap_clinic.celery import app

    hostname = f"test-worker-{os.getpid()}@localhost"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kap_clinic",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--hostname={hostname}",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=PROJECT_ROOT,
        env=subprocess_env(),
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            # ping() waits up to its timeout for the worker's reply: an awaited event, not a sleep.
            if app.control.ping(destination=[hostname], timeout=1.0):
                break
            if process.poll() is not None:
                pytest.fail(f"Celery worker exited with {process.returncode}")
        else:
            pytest.fail("Celery worker did not answer a ping within 60 seconds")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
