"""The set-up pages: who may read and write what, bad input, and fixed query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from kap_clinic.clinic.models import Organisation, ProfessionalLicence, StaffProfile
from tests.clinic.conftest import dea_add, licence_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _status(
    client: Client, user: User | None, method: str, path: str, data: dict | None = None
) -> int:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.post(path, data or {}) if method == "post" else client.get(path)
    return response.status_code


@pytest.fixture
def users(
    clinic_admin: User, front_desk: User, therapist: User, prescriber: User, patient_user: User
) -> dict[str, User | None]:
    return {
        "admin": clinic_admin,
        "front_desk": front_desk,
        "therapist": therapist,
        "prescriber": prescriber,
        "patient": patient_user,
        "anonymous": None,
    }


ADMIN_ONLY_PAGES = [
    "/setup/",
    "/setup/organisation/",
    "/setup/staff/invite/",
    "/setup/welcome/",
    "/sessions/setup/locations/",
    "/sessions/setup/locations/new/",
    "/sessions/setup/rooms/new/",
]


@pytest.mark.parametrize("path", ADMIN_ONLY_PAGES)
def test_only_clinic_admins_open_the_set_up_pages(
    client: Client, users: dict[str, User | None], path: str
) -> None:
    expected = {
        "admin": 200,
        "front_desk": 403,
        "therapist": 403,
        "prescriber": 403,
        "patient": 403,
        "anonymous": 302,
    }
    assert {name: _status(client, user, "get", path) for name, user in users.items()} == expected


def test_front_desk_reads_names_and_roles_only(
    client: Client, front_desk: User, prescriber: User
) -> None:
    licence_add(prescriber, number="SECRET-123")
    StaffProfile.objects.create(user=prescriber, npi="1234567893")
    client.force_login(front_desk)
    page = client.get("/setup/staff/").content.decode()
    assert prescriber.full_name in page
    assert "Prescriber" in page
    assert "SECRET-123" not in page
    assert "1234567893" not in page
    assert "NPI" not in page
    assert client.get(f"/setup/staff/{prescriber.uuid}/").status_code == 403


def test_a_clinician_reads_their_own_credentials_and_nobody_elses(
    client: Client, prescriber: User, therapist: User, clinic_admin: User
) -> None:
    licence_add(prescriber, number="MINE-1")
    licence_add(therapist, kind="LCSW", number="THEIRS-2")
    client.force_login(prescriber)
    assert client.get("/setup/staff/").status_code == 403
    own = client.get("/setup/staff/me/", follow=True)
    assert own.status_code == 200
    assert "MINE-1" in own.content.decode()
    assert "Your credentials" in own.content.decode()
    assert "Add a licence" not in own.content.decode()
    assert client.get(f"/setup/staff/{therapist.uuid}/").status_code == 403
    licence = ProfessionalLicence.objects.get(number="MINE-1")
    for path in (
        f"/setup/licences/{licence.uuid}/",
        f"/setup/staff/{prescriber.uuid}/licences/new/",
        f"/setup/staff/{prescriber.uuid}/npi/",
        f"/setup/staff/{prescriber.uuid}/role/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/setup/credentials/{licence.uuid}/remove/").status_code == 403
    assert client.post(f"/setup/staff/{therapist.uuid}/deactivate/").status_code == 403
    assert ProfessionalLicence.objects.filter(number="MINE-1").exists()


def test_patients_and_anonymous_users_never_see_staff(
    client: Client, patient_user: User, prescriber: User
) -> None:
    client.force_login(patient_user)
    for path in (
        "/setup/staff/",
        f"/setup/staff/{prescriber.uuid}/",
        "/setup/staff/me/",
        "/setup/email/",
    ):
        assert client.get(path).status_code == 403, path
    client.logout()
    assert client.get(f"/setup/staff/{prescriber.uuid}/").status_code == 302


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"npi": "1234567890"}, "npi", "check digit is wrong"),
        ({"npi": "12345"}, "npi", "exactly 10 digits"),
        ({"supervision_status": "trainee"}, "supervisor", "A trainee needs a supervisor."),
    ],
)
def test_bad_npi_or_supervision_is_refused_on_its_field_and_nothing_saved(
    client: Client, clinic_admin: User, therapist: User, fields: dict, field: str, message: str
) -> None:
    client.force_login(clinic_admin)
    data = {"npi": "", "supervision_status": "licensed", "supervisor": "", **fields}
    response = client.post(f"/setup/staff/{therapist.uuid}/npi/", data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not StaffProfile.objects.filter(user=therapist).exclude(npi="").exists()
    therapist.refresh_from_db()
    assert therapist.supervisor is None


def test_a_trainee_with_a_supervisor_is_saved_and_audited(
    client: Client, clinic_admin: User, therapist: User, prescriber: User
) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        f"/setup/staff/{therapist.uuid}/npi/",
        {"npi": "1245319599", "supervision_status": "trainee", "supervisor": prescriber.id},
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.supervisor == prescriber
    assert therapist.staff_profile.supervision_status == "trainee"
    assert AuditEvent.objects.filter(
        object_id=str(therapist.uuid), detail="credentials changed"
    ).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"issued_on": "2025-06-01", "expires_on": "2025-05-31"},
            "expires_on",
            "The expiry date is before the issue date.",
        ),
        ({"number": "DUP-1"}, "number", "already on file in this jurisdiction"),
        ({"jurisdiction": "Cal"}, "jurisdiction", "two-letter US state"),
    ],
)
def test_bad_licences_are_refused_on_their_field_and_nothing_saved(
    client: Client,
    clinic_admin: User,
    therapist: User,
    prescriber: User,
    fields: dict,
    field: str,
    message: str,
) -> None:
    licence_add(prescriber, kind="MD", jurisdiction="CA", number="DUP-1")
    client.force_login(clinic_admin)
    data = {
        "kind": "LCSW",
        "jurisdiction": "ca",
        "number": "NEW-1",
        "issued_on": "2025-01-01",
        "expires_on": "2027-01-01",
        **fields,
    }
    response = client.post(f"/setup/staff/{therapist.uuid}/licences/new/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not therapist.licences.exists()


def test_an_admin_adds_a_licence_and_a_dea_registration(
    client: Client, clinic_admin: User, prescriber: User
) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        f"/setup/staff/{prescriber.uuid}/licences/new/",
        {
            "kind": "MD",
            "jurisdiction": "ny",
            "number": "123456",
            "issued_on": "2025-01-01",
            "expires_on": "2027-01-01",
        },
    )
    assert response.status_code == 302
    assert prescriber.licences.get().jurisdiction == "NY"
    missing = client.post(
        f"/setup/staff/{prescriber.uuid}/dea/new/",
        {
            "jurisdiction": "NY",
            "number": "FP1234563",
            "issued_on": "2025-01-01",
            "expires_on": "2027-01-01",
        },
    )
    assert "schedules" in missing.context["form"].errors
    client.post(
        f"/setup/staff/{prescriber.uuid}/dea/new/",
        {
            "jurisdiction": "NY",
            "number": "FP1234563",
            "schedules": ["3", "3N", "4"],
            "issued_on": "2025-01-01",
            "expires_on": "2027-01-01",
        },
    )
    registration = prescriber.dea_registrations.get()
    assert registration.schedule_list == ["3", "3N", "4"]
    assert registration.covers_ketamine
    assert AuditEvent.objects.filter(object_id=str(registration.uuid), action="create").exists()


def test_the_organisation_is_saved_with_a_logo_and_its_crisis_line_reaches_patients(
    client: Client, clinic_admin: User, patient_user: User
) -> None:
    client.force_login(clinic_admin)
    data = {
        "legal_name": "Harbour PLLC",
        "address": "1 Harbour St",
        "phone": "555-0100",
        "ein": "123456789",
        "group_npi": "1234567893",
        "country": "us",
        "time_zone": "America/Chicago",
        "crisis_line": "988 or text HOME to 741741",
        "expiry_warning_days": 45,
        "logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
    }
    response = client.post("/setup/organisation/", data)
    assert response.status_code == 302, response.context["form"].errors
    organisation = Organisation.objects.get()
    assert (organisation.ein, organisation.country) == ("12-3456789", "US")
    assert organisation.logo.name.startswith("clinic/logo-")
    assert client.get("/setup/organisation/logo/").status_code == 200
    client.force_login(patient_user)
    assert "988 or text HOME to 741741" in client.get("/portal/").content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"group_npi": "1234567890"}, "group_npi", "check digit"),
        ({"ein": "12-34"}, "ein", "9 digits"),
        (
            {"logo": SimpleUploadedFile("x.png", b"GIF89a....", content_type="image/png")},
            "logo",
            "PNG or JPEG",
        ),
        (
            {
                "logo": SimpleUploadedFile(
                    "big.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png"
                )
            },
            "logo",
            "1 MB",
        ),
    ],
)
def test_bad_organisation_input_is_refused_on_its_field_and_nothing_saved(
    client: Client, clinic_admin: User, fields: dict, field: str, message: str
) -> None:
    client.force_login(clinic_admin)
    data = {
        "legal_name": "Harbour PLLC",
        "address": "1 Harbour St",
        "phone": "555-0100",
        "country": "US",
        "time_zone": "America/Chicago",
        "crisis_line": "988",
        "expiry_warning_days": 60,
        **fields,
    }
    response = client.post("/setup/organisation/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Organisation.objects.exists()


def test_patients_see_988_until_the_organisation_sets_another_line(
    client: Client, patient_user: User
) -> None:
    client.force_login(patient_user)
    assert "<strong>988</strong>" in client.get("/portal/").content.decode()


def test_a_superuser_on_an_empty_database_is_led_to_the_wizard(client: Client) -> None:
    superuser = User.objects.create_superuser(
        "root@example.org", "x-long-password-1", full_name="Root"
    )
    client.force_login(superuser)
    response = client.get("/clinic-admin/")
    assert response.status_code == 302
    assert response["Location"] == "/setup/welcome/"
    wizard = client.get("/setup/welcome/").content.decode()
    assert "Your organisation" in wizard
    assert "Your first location and its rooms" in wizard
    Organisation.objects.create(id=1, legal_name="X", address="Y", phone="Z")
    assert client.get("/clinic-admin/").status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_the_staff_list_keeps_its_query_count(
    client: Client, clinic_admin: User, django_assert_max_num_queries: object, rows: int
) -> None:
    for n in range(rows):
        user = UserFactory(role=Role.PRESCRIBER)
        StaffProfile.objects.create(user=user)
        licence_add(user, number=f"L{n}", expires_on=date(2020, 1, 1), issued_on=date(2019, 1, 1))
        dea_add(user, number=f"D{n}")
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get("/setup/staff/")
    assert response.status_code == 200
    assert response.content.decode().count("Credential expired") == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_a_staff_members_page_keeps_its_query_count(
    client: Client,
    clinic_admin: User,
    prescriber: User,
    django_assert_max_num_queries: object,
    rows: int,
) -> None:
    for n in range(rows):
        licence_add(prescriber, number=f"L{n}", jurisdiction="CA")
        dea_add(prescriber, number=f"D{n}")
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(f"/setup/staff/{prescriber.uuid}/")
    assert response.content.decode().count("Remove</button>") == 2 * rows
