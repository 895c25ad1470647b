"""Set-up fixtures: credentials on file for a clinician, and the organisation row."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kap_clinic.accounts.models import User
from kap_clinic.clinic.models import (
    DeaRegistration,
    LicenceKind,
    Organisation,
    ProfessionalLicence,
    StaffProfile,
)


def licence_add(user: User, **fields: Any) -> ProfessionalLicence:
    values: dict[str, Any] = {
        "kind": LicenceKind.MD,
        "jurisdiction": "CA",
        "number": f"A{ProfessionalLicence.objects.count() + 1:06d}",
        "issued_on": date(2024, 1, 1),
        "expires_on": date(2026, 12, 31),
    }
    values.update(fields)
    return ProfessionalLicence.objects.create(user=user, **values)


def dea_add(user: User, **fields: Any) -> DeaRegistration:
    values: dict[str, Any] = {
        "jurisdiction": "CA",
        "number": f"FD{DeaRegistration.objects.count() + 1:07d}",
        "schedules": "2,2N,3,3N,4,5",
        "issued_on": date(2024, 1, 1),
        "expires_on": date(2026, 12, 31),
    }
    values.update(fields)
    return DeaRegistration.objects.create(user=user, **values)


@pytest.fixture
def organisation() -> Organisation:
    return Organisation.objects.create(
        id=1, legal_name="Test Clinic PLLC", address="1 Test Street", phone="555-0100"
    )


@pytest.fixture
def credentialed_prescriber(prescriber: User) -> User:
    StaffProfile.objects.create(user=prescriber, npi="1234567893")
    licence_add(prescriber)
    dea_add(prescriber)
    return prescriber
