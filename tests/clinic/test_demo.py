from datetime import date

import pytest

from kap_clinic.accounts.models import User
from kap_clinic.clinic.models import Organisation
from kap_clinic.clinic.selectors import credential_valid
from kap_clinic.clinic.validators import npi_is_valid
from kap_clinic.demo import demo_seed
from sessions.models import CertificationKind, Location, SiteCertification

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_is_set_up_with_valid_credentials_and_seeding_twice_changes_nothing() -> (
    None
):
    demo_seed()
    demo_seed()
    organisation = Organisation.objects.get()
    assert npi_is_valid(organisation.group_npi)
    location = Location.objects.get(name="Harbour Street Clinic")
    assert location.place_of_service == "11"
    assert (
        SiteCertification.objects.filter(
            location=location, kind=CertificationKind.ESKETAMINE_REMS
        ).count()
        == 1
    )
    prescriber = User.objects.get(email="prescriber@kap.example.org")
    on = date(2026, 6, 1)
    assert credential_valid(user=prescriber, kind="dea_ketamine", jurisdiction="IL", on=on)
    assert credential_valid(user=prescriber, kind="MD", jurisdiction="IL", on=on)
    assert credential_valid(user=prescriber, kind="npi", jurisdiction="", on=on)
    therapist = User.objects.get(email="therapist@kap.example.org")
    assert credential_valid(user=therapist, kind="LCSW", jurisdiction="IL", on=on)
    assert not credential_valid(user=therapist, kind="dea_ketamine", jurisdiction="IL", on=on)
