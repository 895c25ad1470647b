"""Fixtures shared by the whole suite: one user per role, plus an outsider and another patient."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from tests.factories import PatientFactory, UserFactory

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
