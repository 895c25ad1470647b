"""factory_boy factories. All data is synthetic."""

from __future__ import annotations

from datetime import date
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
