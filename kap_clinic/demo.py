"""Demo data for `make run`: one clinic location with two treatment rooms, one user per role, a
few synthetic patients and a booked treatment course for the cleared one. Every name, date and
address here is invented.

Idempotent: running it again updates the same rows (and resets the demo passwords).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.services import user_create, user_role_set
from sessions.availability import course_plan
from sessions.models import Course, Location, OpeningHours, Protocol, Room, RoomKind
from sessions.services import course_confirm, course_create


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
    for weekday in range(5):  # open Monday to Friday, 08:00-18:00
        OpeningHours.objects.update_or_create(
            location=location,
            weekday=weekday,
            defaults={"opens_at": time(8), "closes_at": time(18)},
        )

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
    _demo_course(location, users)
    return DEMO_LOGINS


def _demo_course(location: Location, users: dict[Role, User]) -> None:
    """A planned and booked IV course for the cleared demo patient (Avery Patel), once."""
    avery = Patient.objects.get(email="avery.patel@example.org")
    protocol = Protocol.objects.filter(route="iv", is_active=True).order_by("id").first()
    if protocol is None or Course.objects.filter(patient=avery).exists():
        return
    today = timezone.now().astimezone(ZoneInfo(location.time_zone)).date()
    course = course_create(
        patient=avery,
        protocol=protocol,
        location=location,
        prescriber=users[Role.PRESCRIBER],
        therapist=users[Role.THERAPIST],
        planned_dose=protocol.dose_default,
        start_date=today + timedelta(days=1),
        by=users[Role.FRONT_DESK],
    )
    course_confirm(
        course=course, proposals=course_plan(course=course).proposals, by=users[Role.FRONT_DESK]
    )
