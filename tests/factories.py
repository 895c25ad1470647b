"""factory_boy factories. All data is synthetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import factory

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.services import user_create
from sessions.models import Location, Room, RoomKind

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    role = Role.FRONT_DESK
    password = TEST_PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return user_create(**kwargs)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_first_name = factory.Sequence(lambda n: f"Given{n}")
    legal_last_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = date(1985, 6, 15)
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    status = PatientStatus.INVITED


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n}")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = RoomKind.TREATMENT


# --- sessions (kap_sessions) ---------------------------------------------------------------------


class ProtocolFactory(factory.django.DjangoModelFactory):
    """An IV ketamine protocol by default; ``esketamine=True`` for the intranasal REMS one."""

    class Meta:
        model = "kap_sessions.Protocol"

    class Params:
        esketamine = factory.Trait(
            drug="esketamine",
            route="intranasal_esketamine",
            dose_rule="fixed_mg",
            dose_minimum=Decimal("28"),
            dose_maximum=Decimal("84"),
            dose_default=Decimal("56"),
            dosing_sessions=8,
            minimum_spacing_hours=48,
            planned_interval_days=3,
            administration_minutes=10,
            vitals_every_minutes_during=5,
            vitals_every_minutes_after=30,
            minimum_monitoring_minutes=120,
            device_mg=Decimal("28"),
            minutes_between_devices=5,
            rems_form_required=True,
        )

    name = factory.Sequence(lambda n: f"Protocol {n}")
    drug = "ketamine"
    route = "iv"
    dose_rule = "mg_per_kg"
    dose_minimum = Decimal("0.5")
    dose_maximum = Decimal("0.5")
    dose_default = Decimal("0.5")
    dosing_sessions = 6
    minimum_spacing_hours = 44
    planned_interval_days = 2
    dosing_minutes = 150
    administration_minutes = 40
    vitals_every_minutes_during = 10
    vitals_every_minutes_after = 15
    minimum_monitoring_minutes = 90
    rems_form_required = False
    source = "synthetic test protocol"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "kap_sessions.Course"

    patient = factory.SubFactory(PatientFactory, status=PatientStatus.CLEARED)
    protocol = factory.SubFactory(ProtocolFactory)
    location = factory.SubFactory(LocationFactory)
    prescriber = factory.SubFactory(UserFactory, role=Role.PRESCRIBER)
    therapist = factory.SubFactory(UserFactory, role=Role.THERAPIST)
    planned_dose = Decimal("0.5")
    start_date = date(2026, 12, 1)
    created_by = factory.SubFactory(UserFactory, role=Role.FRONT_DESK)
    # The prescriber has signed the treatment plan (doses need it); plan_signed_at=None for not.
    plan_signed_at = factory.LazyFunction(lambda: datetime.now(tz=UTC))
    plan_signed_by = factory.LazyAttribute(lambda o: o.prescriber if o.plan_signed_at else None)


# --- integration ------------------------------------------------------------------------------


class IntegrationAppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment of a course, for notes and measures (kind given by the test)."""

    class Meta:
        model = "kap_sessions.Appointment"

    course = factory.SubFactory(CourseFactory)
    patient = factory.SelfAttribute("course.patient")
    kind = "integration"
    location = factory.SelfAttribute("course.location")
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    # Spaced two hours apart into the past: a patient's appointments never overlap.
    starts_at = factory.Sequence(lambda n: _integration_now() - _integration_hours(2 + 2 * n))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + _integration_hours(1))
    therapist = factory.SelfAttribute("course.therapist")
    status = "completed"


def _integration_now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _integration_hours(hours: int) -> Any:
    from datetime import timedelta

    return timedelta(hours=hours)


def rems_ready(patient: Any, location: Any, *, by: Any) -> None:
    """An esketamine patient enrolled in the REMS at a location certified for it today (doses
    of esketamine need both)."""
    from datetime import timedelta

    from django.utils import timezone

    from sessions.models import CertificationKind, SiteCertification
    from sessions.rems.models import RemsEnrolment

    today = timezone.localdate()
    RemsEnrolment.objects.get_or_create(
        patient=patient,
        defaults={
            "rems_patient_id": f"RP-{patient.uuid.hex[:10].upper()}",
            "enrolled_on": today - timedelta(days=30),
            "recorded_by": by,
        },
    )
    SiteCertification.objects.get_or_create(
        location=location,
        kind=CertificationKind.ESKETAMINE_REMS,
        defaults={
            "number": f"REMS-{location.uuid.hex[:8].upper()}",
            "issuer": "Spravato REMS",
            "issued_on": today - timedelta(days=365),
            "expires_on": today + timedelta(days=365),
        },
    )
