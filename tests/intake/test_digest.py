from datetime import date

import pytest

from intake.models import Patient, PatientStatus
from kap_clinic.accounts.models import User
from kap_clinic.notifications.digest import digest_sections

pytestmark = pytest.mark.django_db


def _pending(user: User) -> list[str]:
    sections = {s["key"]: s["items"] for s in digest_sections(user=user, day=date(2027, 1, 4))}
    return sections["intake.pending_clearances"]


def test_the_digest_lists_screened_patients_of_the_care_team_by_initials(
    patient: Patient, therapist: User, prescriber: User, outsider: User
) -> None:
    assert _pending(therapist) == []
    patient.legal_first_name, patient.legal_last_name = "Quinn", "Marlowe"
    patient.status = PatientStatus.SCREENED
    patient.save()
    expected = ["Q. M.: intake screened, waiting for clearance"]
    assert _pending(therapist) == expected
    assert _pending(prescriber) == expected
    assert _pending(outsider) == []
