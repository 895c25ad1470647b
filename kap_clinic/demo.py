"""Demo data for `make run`: one clinic location with two treatment rooms, one user per role, a
few synthetic patients and a booked treatment course for the cleared one. Every name, date and
address here is invented.

Idempotent: running it again updates the same rows (and resets the demo passwords).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake import services as intake_services
from intake.models import Decision, IntakeForm, Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.services import user_create, user_role_set
from kap_clinic.clinic.models import (
    DeaRegistration,
    LicenceKind,
    Organisation,
    ProfessionalLicence,
    StaffProfile,
)
from sessions.availability import course_plan
from sessions.models import (
    CertificationKind,
    Course,
    Location,
    OpeningHours,
    PlaceOfService,
    Protocol,
    Room,
    RoomKind,
    SiteCertification,
)
from sessions.services import course_confirm, course_create, course_plan_sign


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
    ("Riley", "Chen", date(1979, 9, 30), "riley.chen@example.org", PatientStatus.SCREENED, True),
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
    Organisation.objects.update_or_create(
        id=1,
        defaults={
            "legal_name": "Harbour Street Psychedelic Therapy, PLLC",
            "address": "1 Harbour Street, Springfield, IL 62701",
            "phone": "555-0100",
            "ein": "00-0000000",
            "group_npi": DEMO_GROUP_NPI,
            "country": "US",
        },
    )
    location, _ = Location.objects.update_or_create(
        name="Harbour Street Clinic",
        defaults={
            "address": "1 Harbour Street, Springfield, IL 62701",
            "phone": "555-0100",
            "place_of_service": PlaceOfService.OFFICE,
        },
    )
    SiteCertification.objects.update_or_create(
        location=location,
        kind=CertificationKind.ESKETAMINE_REMS,
        defaults={
            "number": "REMS-DEMO-0001",
            "issuer": "Spravato REMS",
            "issued_on": date(2025, 1, 15),
            "expires_on": date(2027, 1, 15),
        },
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
    _demo_credentials(users)
    for first, last, born, email, status, assigned in DEMO_PATIENTS:
        details = {
            "legal_first_name": first,
            "legal_last_name": last,
            "date_of_birth": born,
            "user": users[Role.PATIENT] if email == users[Role.PATIENT].email else None,
            "prescriber": users[Role.PRESCRIBER] if assigned else None,
            "therapist": users[Role.THERAPIST] if assigned else None,
        }
        # create_defaults replaces defaults on creation: the status starts at "invited" and the
        # intake services below move it on; seeding again never moves it back.
        patient, _ = Patient.objects.update_or_create(
            email=email,
            defaults=details,
            create_defaults={**details, "status": PatientStatus.INVITED},
        )
        # The intake is seeded once; seeding again leaves it (and the status) as it is.
        if not patient.intakes.exists() and not patient.invitations.exists():
            _demo_intake(patient, status, users)
    _demo_course(location, users)
    for login in DEMO_LOGINS:
        if login.role != Role.PATIENT:
            demo_totp_device(users[login.role])
    return DEMO_LOGINS


# Made-up NPIs with a valid check digit (CLINICAL.md: Luhn over 80840 + 9 digits). Demo only.
DEMO_GROUP_NPI = "1000000004"
DEMO_NPIS = {Role.PRESCRIBER: "1987654328", Role.THERAPIST: "1456789019"}


def _demo_credentials(users: dict[Role, User]) -> None:
    """NPIs, licences and the prescriber's DEA registration (schedules II-V, III for ketamine)."""
    for role, npi in DEMO_NPIS.items():
        StaffProfile.objects.update_or_create(user=users[role], defaults={"npi": npi})
    for role, kind, number in [
        (Role.PRESCRIBER, LicenceKind.MD, "036-000001"),
        (Role.THERAPIST, LicenceKind.LCSW, "149-000002"),
    ]:
        ProfessionalLicence.objects.update_or_create(
            jurisdiction="IL",
            number=number,
            defaults={
                "user": users[role],
                "kind": kind,
                "issued_on": date(2020, 6, 1),
                "expires_on": date(2027, 11, 30),
            },
        )
    DeaRegistration.objects.update_or_create(
        jurisdiction="IL",
        number="FN0000001",
        defaults={
            "user": users[Role.PRESCRIBER],
            "schedules": "2,2N,3,3N,4,5",
            "issued_on": date(2024, 3, 1),
            "expires_on": date(2027, 2, 28),
        },
    )


def demo_totp_secret(email: str) -> bytes:
    """The demo staff's authenticator secret: derived from the email, so it is known. Demo only."""
    return hashlib.sha256(f"kap-demo-totp:{email}".encode()).digest()[:20]


def demo_totp_device(user: User) -> TOTPDevice:
    """A confirmed authenticator with the known demo secret (`manage.py demo_totp` shows codes)."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        name="Demo authenticator",
        defaults={"key": demo_totp_secret(user.email).hex(), "confirmed": True},
    )
    return device


# Synthetic intake answers, step by step, in the wizard's stored format.
_DEMO_ANSWERS: dict[str, Any] = {
    "about": {
        "preferred_name": "",
        "sex_at_birth": "undisclosed",
        "gender": "",
        "mobile": "555-0100",
        "address": "12 Example Avenue, Springfield",
        "emergency_contact_name": "Alex Example",
        "emergency_contact_relationship": "Friend",
        "emergency_contact_phone": "555-0199",
        "reminder_channel": "email",
        "time_zone": "America/Chicago",
    },
    "providers": {
        "has_therapist": "no",
        "therapist_name": "",
        "therapist_contact": "",
        "has_psychiatrist": "no",
        "psychiatrist_name": "",
        "psychiatrist_contact": "",
        "has_primary_care": "yes",
        "primary_care_name": "Dr. Example Family Practice",
        "primary_care_contact": "555-0150",
        "consent_to_coordinate": "yes",
    },
}


def _demo_full_answers(
    patient: Patient, *, phq9: list[int], medications: list[Any]
) -> dict[str, Any]:
    from intake.forms import MEDICAL_CONDITIONS, SUBSTANCES

    return {
        **_DEMO_ANSWERS,
        "medical": {
            **{name: "no" for name, _ in MEDICAL_CONDITIONS},
            "hypertension_controlled": None,
            "thyroid_controlled": None,
            "allergy_details": "",
            "height_cm": 172,
            "weight_kg": "74.0",
        },
        "medications": {"medications": medications},
        "substances": {
            **{f"{key}_use": "never" for key, _ in SUBSTANCES},
            **{f"{key}_months_since": None for key, _ in SUBSTANCES},
        },
        "psychiatric": {
            "diagnoses": "Major depressive disorder",
            "psychotic_disorder": "no",
            "psychosis_history": "no",
            "mania_history": "no",
            "mania_current": None,
            "hospitalisations": "no",
            "hospitalisation_details": "",
            "suicide_attempts": "no",
            "suicide_attempt_details": "",
            "self_harm": "no",
            "earlier_medications": "Two antidepressants, little effect.",
            "earlier_therapies": "CBT, helpful for a while.",
            "ect_tms": "no",
            "prior_ketamine": "no",
            "prior_ketamine_response": "",
        },
        "goals": {"intentions": "Feel able to enjoy things again.", "altered_states": ""},
        "phq9": {f"item{n}": value for n, value in enumerate(phq9, start=1)},
        "gad7": {f"item{n}": 1 for n in range(1, 8)},
        "pcl5": {f"item{n}": 1 for n in range(1, 21)},
        "cssrs": {"q1": 1, "q2": 0, "q6": 0},
        "consents": {
            "agree_treatment": True,
            "agree_communications": True,
            "agree_telehealth": True,
            "typed_name": patient.legal_name,
            "versions": {"treatment": 1, "communications": 1, "telehealth": 1},
        },
    }


def _demo_intake(patient: Patient, status: PatientStatus, users: dict[Role, User]) -> None:
    """Brings a new demo patient to ``status`` through the intake services."""
    if status == PatientStatus.INVITED:
        intake_services.invitation_send(patient=patient, by=users[Role.FRONT_DESK])
        return
    intake = intake_services.intake_start(patient=patient)
    if status == PatientStatus.INTAKE_IN_PROGRESS:
        IntakeForm.objects.filter(pk=intake.pk).update(answers=_DEMO_ANSWERS)
        return
    if patient.user is None:  # submitting is the patient's act; demo patients get a login-less user
        patient.user = user_create(
            email=patient.email, full_name=patient.legal_name, role=Role.PATIENT
        )
        patient.save(update_fields=["user"])
    # Riley (screened) answers PHQ-9 item 9 above 0: a safety alert for the demo care team.
    phq9 = [2, 2, 2, 1, 1, 2, 1, 1, 1] if status == PatientStatus.SCREENED else [1] * 8 + [0]
    medications = [{"name": "Lamotrigine", "dose": "100 mg", "frequency": "daily"}]
    answers = _demo_full_answers(patient, phq9=phq9, medications=medications)
    if phq9[8] == 0:
        del answers["cssrs"]
    IntakeForm.objects.filter(pk=intake.pk).update(answers=answers)
    intake.refresh_from_db()
    intake_services.intake_submit(intake=intake, by=patient.user, ip_address=None)
    if status == PatientStatus.CLEARED:
        intake_services.medical_assessment_record(
            patient=patient,
            by=users[Role.PRESCRIBER],
            data={
                "blood_pressure_systolic": 118,
                "blood_pressure_diastolic": 76,
                "heart_rate": 68,
                "oxygen_saturation": 98,
                "weight_kg": 74,
                "history_review": "History reviewed; lamotrigine noted.",
                "decision": Decision.CLEARED,
                "reason": "",
                "exclude_override_reason": "",
            },
        )
        intake_services.clinical_assessment_record(
            patient=patient,
            by=users[Role.THERAPIST],
            data={
                "working_diagnoses": "Major depressive disorder, recurrent",
                "decision": Decision.CLEARED,
                "reason": "",
                "exclude_override_reason": "",
            },
        )


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
        start_date=today + timedelta(days=1),
        by=users[Role.FRONT_DESK],
    )
    course_plan_sign(
        course=course,
        protocol=protocol,
        planned_dose=protocol.dose_default,
        by=users[Role.PRESCRIBER],
    )
    course_confirm(
        course=course, proposals=course_plan(course=course).proposals, by=users[Role.FRONT_DESK]
    )
