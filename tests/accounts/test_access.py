import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from intake.selectors import patients_visible_to
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _detail(patient: Patient) -> str:
    return reverse("intake:patient_detail", args=[patient.uuid])


def test_a_patient_gets_403_on_a_staff_page(client: Client, patient: Patient) -> None:
    client.force_login(patient.user)
    for name in [
        "accounts:desk",
        "accounts:clinician",
        "accounts:clinic_admin",
        "intake:patient_list",
        "audit:event_list",
    ]:
        assert client.get(reverse(name)).status_code == 403, name


def test_a_patient_gets_404_on_another_patient_and_sees_themself(
    client: Client, patient: Patient, other_patient: Patient
) -> None:
    client.force_login(patient.user)
    assert client.get(_detail(other_patient)).status_code == 404
    assert client.get(_detail(patient)).status_code == 200


def test_staff_do_not_get_the_patient_portal(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("accounts:portal")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, patient: Patient) -> None:
    response = client.get(_detail(patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("who", "sees_patient", "sees_other"),
    [
        ("prescriber", True, False),
        ("therapist", True, False),
        ("outsider", False, False),
        ("front_desk", True, True),
        ("clinic_admin", True, True),
    ],
)
def test_care_team_front_desk_and_admins_see_the_patient_others_get_404(
    request: pytest.FixtureRequest,
    client: Client,
    patient: Patient,
    other_patient: Patient,
    who: str,
    sees_patient: bool,
    sees_other: bool,
) -> None:
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(_detail(patient)).status_code == (200 if sees_patient else 404)
    assert client.get(_detail(other_patient)).status_code == (200 if sees_other else 404)
    visible = set(patients_visible_to(user=user))
    assert (patient in visible, other_patient in visible) == (sees_patient, sees_other)


def test_reading_a_patient_record_is_audited(
    client: Client, patient: Patient, therapist: User
) -> None:
    client.force_login(therapist)
    client.get(_detail(patient), HTTP_USER_AGENT="synthetic-agent/1.0", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action=AuditAction.READ, object_id=str(patient.uuid))
    assert (event.actor, event.object_type, event.ip_address, event.user_agent) == (
        therapist,
        "intake.patient",
        "10.1.2.3",
        "synthetic-agent/1.0",
    )


def test_an_inactive_user_sees_nobody(patient: Patient, therapist: User) -> None:
    therapist.is_active = False
    therapist.save()
    assert list(patients_visible_to(user=therapist)) == []


@pytest.mark.parametrize("rows", [1, 50])
def test_the_patient_list_keeps_its_query_count(
    client: Client,
    front_desk: User,
    therapist: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    PatientFactory.create_batch(rows, therapist=therapist)
    client.force_login(front_desk)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("intake:patient_list"))
    assert response.status_code == 200
    assert response.content.decode().count("/patients/") >= rows


@pytest.mark.parametrize("rows", [1, 50])
def test_landing_pages_keep_their_query_count(
    client: Client,
    therapist: User,
    prescriber: User,
    front_desk: User,
    clinic_admin: User,
    patient: Patient,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    PatientFactory.create_batch(rows, therapist=therapist, prescriber=prescriber)
    for user in (therapist, prescriber, front_desk, clinic_admin, patient.user):
        client.force_login(user)
        landing = client.get(reverse("accounts:home"))["Location"]
        # The patient's home adds their next session and My progress (issue 10, item 12);
        # staff homes gained the REMS, billing and supervision panels this session.
        budget = 14  # with a margin for caches filled by the first test in the process
        with django_assert_max_num_queries(budget):  # type: ignore[operator]
            assert client.get(landing).status_code == 200
