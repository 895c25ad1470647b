from datetime import UTC, date, datetime

import pytest

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.models import Organisation, StaffProfile
from kap_clinic.clinic.selectors import (
    credential_valid,
    credentials_expiring,
    expired_clinician_ids,
)
from kap_clinic.notifications.digest import daily_digests_queue, digest_sections
from kap_clinic.notifications.models import Message
from sessions.models import CertificationKind, SiteCertification
from tests.clinic.conftest import dea_add, licence_add
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

ISSUED = date(2025, 1, 1)
EXPIRES = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("kind", "jurisdiction", "on", "expected"),
    [
        ("MD", "CA", date(2025, 6, 1), True),  # the licence's kind, state, within its dates
        ("licence", "CA", date(2025, 6, 1), True),  # any licence
        ("MD", "ca", date(2025, 6, 1), True),  # jurisdiction codes are case-blind
        ("MD", "CA", ISSUED, True),  # valid from its issue date...
        ("MD", "CA", EXPIRES, True),  # ...through its expiry date
        ("MD", "CA", date(2026, 7, 1), False),  # expired the day after
        ("MD", "CA", date(2024, 12, 31), False),  # not yet issued
        ("MD", "NY", date(2025, 6, 1), False),  # another state
        ("DO", "CA", date(2025, 6, 1), False),  # another kind of licence
        ("dea_ketamine", "CA", date(2025, 6, 1), True),  # DEA with schedule III
        ("dea_ketamine", "CA", date(2026, 7, 1), False),  # DEA expired
        ("dea_ketamine", "NY", date(2025, 6, 1), False),  # DEA in another state only
        ("npi", "", date(2025, 6, 1), True),
    ],
)
def test_credential_valid_truth_table(
    prescriber: User, kind: str, jurisdiction: str, on: date, expected: bool
) -> None:
    licence_add(prescriber, kind="MD", jurisdiction="CA", issued_on=ISSUED, expires_on=EXPIRES)
    dea_add(prescriber, jurisdiction="CA", issued_on=ISSUED, expires_on=EXPIRES)
    StaffProfile.objects.create(user=prescriber, npi="1234567893")
    assert (
        credential_valid(user=prescriber, kind=kind, jurisdiction=jurisdiction, on=on) is expected
    )


def test_a_dea_registration_without_schedule_iii_does_not_allow_ketamine(prescriber: User) -> None:
    dea_add(prescriber, schedules="2,2N,4,5")
    assert not credential_valid(
        user=prescriber, kind="dea_ketamine", jurisdiction="CA", on=date(2025, 6, 1)
    )
    dea_add(prescriber, jurisdiction="NV", schedules="3N")
    assert credential_valid(
        user=prescriber, kind="dea_ketamine", jurisdiction="NV", on=date(2025, 6, 1)
    )


def test_a_deactivated_user_and_a_user_without_records_hold_no_credential(
    prescriber: User, therapist: User
) -> None:
    licence_add(prescriber)
    prescriber.is_active = False
    prescriber.save()
    on = date(2025, 6, 1)
    assert not credential_valid(user=prescriber, kind="licence", jurisdiction="CA", on=on)
    assert not credential_valid(user=therapist, kind="licence", jurisdiction="CA", on=on)
    assert not credential_valid(user=therapist, kind="npi", jurisdiction="", on=on)


def test_an_unknown_credential_kind_is_a_programming_error(prescriber: User) -> None:
    with pytest.raises(ValueError, match="Unknown credential kind"):
        credential_valid(user=prescriber, kind="astrology", jurisdiction="CA", on=date(2025, 1, 1))


def test_expiry_watch_lists_what_expires_within_the_policy_window(
    prescriber: User, therapist: User
) -> None:
    today = date(2026, 3, 1)
    licence_add(prescriber, number="SOON", expires_on=date(2026, 4, 30))  # 60 days ahead
    licence_add(therapist, kind="LCSW", number="LATER", expires_on=date(2026, 5, 1))  # 61 days
    dea_add(prescriber, expires_on=date(2026, 3, 2))
    rows = credentials_expiring(today=today, within_days=60)
    assert [row.what for row in rows] == [
        f"DEA registration CA {prescriber.dea_registrations.get().number}",
        "MD licence CA SOON",
    ]


def test_expiry_watch_follows_the_clinic_day_across_midnight_utc(
    settings: object, clinic_admin: User, prescriber: User
) -> None:
    """At 01:00 UTC on 1 March it is still 28 February in New York: the digest queued at 07:00
    New York time on 28 Feb counts days from 28 Feb, so a licence expiring on 29 April (60 days
    from 28 Feb) is listed, and one expiring on 30 April (61 days) is not."""
    settings.TIME_ZONE = "America/New_York"  # type: ignore[attr-defined]
    Organisation.objects.create(
        id=1, legal_name="Test", address="1 Test St", phone="555", expiry_warning_days=60
    )
    licence_add(prescriber, number="IN", expires_on=date(2026, 4, 29))
    licence_add(prescriber, number="OUT", kind="DO", expires_on=date(2026, 4, 30))
    location = LocationFactory()
    SiteCertification.objects.create(
        location=location,
        kind=CertificationKind.ESKETAMINE_REMS,
        number="R-1",
        issuer="Spravato REMS",
        expires_on=date(2026, 4, 29),
    )
    # 12:00 UTC on 28 Feb = 07:00 in New York: the digest goes out for 28 February.
    assert daily_digests_queue(now=datetime(2026, 2, 28, 12, 0, tzinfo=UTC)) >= 1
    message = Message.objects.get(recipient_user=clinic_admin)
    assert message.refs == {"date": "2026-02-28"}
    sections = {
        section["key"]: section["items"]
        for section in digest_sections(user=clinic_admin, day=date(2026, 2, 28))
    }
    assert sections["clinic.credentials_expiring"] == [
        f"{prescriber.full_name}: MD licence CA IN expires 29 Apr 2026"
    ]
    assert sections["sessions.certifications_expiring"] == [
        f"{location.name}: Esketamine (Spravato) REMS healthcare setting R-1 expires 29 Apr 2026"
    ]
    # The next clinic day (1 March, from 12:00 UTC) the 30 April licence enters the window.
    next_day = {
        section["key"]: section["items"]
        for section in digest_sections(user=clinic_admin, day=date(2026, 3, 1))
    }
    assert len(next_day["clinic.credentials_expiring"]) == 2


def test_an_admin_without_anything_expiring_gets_no_digest_and_clinicians_see_no_expiry(
    clinic_admin: User, prescriber: User
) -> None:
    daily_digests_queue(now=datetime(2026, 2, 28, 12, 0, tzinfo=UTC))
    # The admins' digest still reports the audit record's daily check, but nothing expiring.
    admin_sections = {
        s["key"]: s["items"] for s in digest_sections(user=clinic_admin, day=date(2026, 2, 28))
    }
    assert not any(items for key, items in admin_sections.items() if key.startswith("clinic."))
    licence_add(prescriber, expires_on=date(2026, 3, 1))
    sections = {
        s["key"]: s["items"] for s in digest_sections(user=prescriber, day=date(2026, 2, 28))
    }
    assert sections["clinic.credentials_expiring"] == []


def test_expired_clinicians_are_those_with_a_lapsed_credential_not_renewed(
    prescriber: User, therapist: User
) -> None:
    today = date(2026, 3, 1)
    licence_add(prescriber, number="OLD", expires_on=date(2026, 2, 1))
    licence_add(therapist, kind="LCSW", number="OLD2", expires_on=date(2026, 2, 1))
    licence_add(therapist, kind="LCSW", number="NEW2", issued_on=date(2026, 2, 1))
    assert expired_clinician_ids(on=today) == {prescriber.id}


def test_the_clinician_picker_shows_an_expired_credential_in_red(
    prescriber: User, therapist: User
) -> None:
    from sessions.forms import CourseForm
    from tests.factories import PatientFactory

    licence_add(prescriber, expires_on=date(2020, 1, 1), issued_on=date(2019, 1, 1))
    UserFactory(role=Role.PRESCRIBER, full_name="Dr. Current")
    html = str(CourseForm(patient=PatientFactory())["prescriber"])
    assert f"{prescriber.full_name} (credential expired)" in html
    assert 'class="text-danger" data-credential="expired"' in html
    assert "Dr. Current (credential expired)" not in html
