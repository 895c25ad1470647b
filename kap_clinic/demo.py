"""Demo data for `make run`: one clinic location with two treatment rooms, one user per role and a
few synthetic patients. Every name, date and address here is invented.

Idempotent: running it again updates the same rows (and resets the demo passwords).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.services import user_create, user_role_set
from sessions.models import Location, Room, RoomKind


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str
    full_name: str


# These logins are printed by seed_demo and listed in the README. Demo only.
DEMO_LOGINS = [
    DemoLogin(Role.CLINIC_ADMIN, "admin@kap.example.org", "demo-admin-pass", "Morgan Reyes"),
    DemoLogin(Role.FRONT_DESK, "frontdesk@kap.example.org", "demo-desk-pass", "Dana Whitfield"),
    DemoLogin(
        Role.PRESCRIBER, "prescriber@kap.example.org", "demo-prescriber-pass", "Dr. Priya Natarajan"
    ),
    DemoLogin(Role.THERAPIST, "therapist@kap.example.org", "demo-therapist-pass", "Sam Okafor"),
    DemoLogin(Role.PATIENT, "patient@kap.example.org", "demo-patient-pass", "Jordan Ellis"),
]

DEMO_PATIENTS = [
    # (first, last, date of birth, email, status, assigned to the demo care team)
    (
        "Jordan",
        "Ellis",
        date(1988, 4, 12),
        "patient@kap.example.org",
        PatientStatus.INTAKE_IN_PROGRESS,
        True,
    ),
    ("Riley", "Chen", date(1979, 9, 30), "riley.chen@example.org", PatientStatus.SUBMITTED, True),
    ("Avery", "Patel", date(1993, 1, 5), "avery.patel@example.org", PatientStatus.CLEARED, True),
    (
        "Casey",
        "Morgan",
        date(2001, 11, 21),
        "casey.morgan@example.org",
        PatientStatus.INVITED,
        False,
    ),
]


def _demo_user(login: DemoLogin) -> User:
    user = User.objects.filter(email=login.email).first()
    if user is None:
        user = user_create(email=login.email, full_name=login.full_name, role=login.role)
    else:
        user.full_name = login.full_name
        user.is_active = True
        user.save(update_fields=["full_name", "is_active"])
        user_role_set(user=user, role=login.role)
    user.set_password(login.password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def demo_seed() -> list[DemoLogin]:
    location, _ = Location.objects.update_or_create(
        name="Harbour Street Clinic", defaults={"address": "1 Harbour Street, Springfield"}
    )
    for name, kind in [
        ("Treatment Room 1", RoomKind.TREATMENT),
        ("Treatment Room 2", RoomKind.TREATMENT),
        ("Telehealth", RoomKind.TELEHEALTH),
    ]:
        Room.objects.update_or_create(location=location, name=name, defaults={"kind": kind})

    users = {login.role: _demo_user(login) for login in DEMO_LOGINS}
    for first, last, born, email, status, assigned in DEMO_PATIENTS:
        Patient.objects.update_or_create(
            email=email,
            defaults={
                "legal_first_name": first,
                "legal_last_name": last,
                "date_of_birth": born,
                "status": status,
                "user": users[Role.PATIENT] if email == users[Role.PATIENT].email else None,
                "prescriber": users[Role.PRESCRIBER] if assigned else None,
                "therapist": users[Role.THERAPIST] if assigned else None,
            },
        )
    return DEMO_LOGINS
