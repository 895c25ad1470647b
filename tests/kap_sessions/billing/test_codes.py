"""Item 1: the seeded code catalogue, its time rules, its set-up pages and a course's diagnoses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.clinic.registry import setup_sections
from sessions.billing import services
from sessions.billing.models import BillingCode, CodeSystem, CourseDiagnosis
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_the_catalogue_is_seeded_with_sources() -> None:
    codes = set(BillingCode.objects.values_list("code", flat=True))
    expected = {
        "90791", "90792", "90832", "90834", "90837", "90833", "90836", "90838", "90846",
        "90847", "90853", "99202", "99203", "99204", "99205", "99212", "99213", "99214",
        "99215", "96365", "96366", "96372", "G2082", "G2083", "0820T", "0821T", "0822T",
        "95", "02", "10", "11",
    }  # fmt: skip
    assert expected <= codes
    groups = set(
        BillingCode.objects.filter(system=CodeSystem.ICD10).values_list("disorder_group", flat=True)
    )
    assert groups == {"depressive", "anxiety", "trauma", "ocd", "eating", "substance"}
    assert not BillingCode.objects.filter(source="").exists()


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (15, None),
        (16, "90832"),
        (37, "90832"),
        (38, "90834"),
        (52, "90834"),
        (53, "90837"),
        (120, "90837"),
    ],
)
def test_psychotherapy_time_rules_at_their_minute_edges(minutes: int, expected: str | None) -> None:
    code = services.psychotherapy_code_for_minutes(minutes)
    assert (code.code if code else None) == expected


@pytest.mark.parametrize(("minutes", "expected"), [(37, "90833"), (38, "90836"), (53, "90838")])
def test_add_on_time_rules(minutes: int, expected: str) -> None:
    code = services.psychotherapy_code_for_minutes(minutes, add_on=True)
    assert code is not None
    assert code.code == expected


def test_time_rules_are_data_the_clinic_edits() -> None:
    BillingCode.objects.filter(code="90832").update(max_minutes=40)
    BillingCode.objects.filter(code="90834").update(min_minutes=41)
    code = services.psychotherapy_code_for_minutes(40)
    assert code is not None
    assert code.code == "90832"


@pytest.mark.parametrize(
    ("minutes", "units"), [(30, 0), (31, 1), (60, 1), (90, 1), (91, 2), (120, 2), (151, 3)]
)
def test_monitoring_units_from_dose_to_discharge(minutes: int, units: int) -> None:
    start = timezone.now()
    assert services.monitoring_units(start=start, end=start + timedelta(minutes=minutes)) == units


@pytest.mark.parametrize(
    ("dose", "code"), [("28", "G2082"), ("56", "G2082"), ("56.01", "G2083"), ("84", "G2083")]
)
def test_esketamine_code_from_the_dose(dose: str, code: str) -> None:
    assert services.esketamine_code(Decimal(dose)) == code


def test_a_code_not_in_the_catalogue_is_refused() -> None:
    with pytest.raises(Exception, match="not in the clinic's code catalogue"):
        services.catalogue_code(code="99999")


def test_billing_sections_are_in_set_up() -> None:
    keys = {section.key for section in setup_sections()}
    assert {"sessions.billing_codes", "sessions.billing_defaults", "sessions.sliding_scale"} <= keys


def test_an_admin_edits_a_fee_and_it_is_audited(client: Client, clinic_admin: User) -> None:
    code = BillingCode.objects.get(code="90837")
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/billing/codes/{code.uuid}/",
        {
            "system": "cpt",
            "code": "90837",
            "description": "Psychotherapy, 60 minutes",
            "fee": "180.00",
            "unit": "service",
            "min_minutes": "53",
            "max_minutes": "",
            "source": code.source,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    code.refresh_from_db()
    assert code.fee == Decimal("180.00")
    assert AuditEvent.objects.filter(object_id=str(code.uuid), action="update").exists()


def test_a_negative_fee_is_refused_on_the_field(client: Client, clinic_admin: User) -> None:
    code = BillingCode.objects.get(code="90834")
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/billing/codes/{code.uuid}/",
        {
            "system": "cpt",
            "code": "90834",
            "description": "x",
            "fee": "-5",
            "unit": "service",
            "source": "s",
        },
    )
    assert response.status_code == 200
    assert "A fee cannot be negative." in response.context["form"].errors["fee"]
    code.refresh_from_db()
    assert code.fee is None


def test_front_desk_manages_codes_but_clinicians_and_patients_do_not(
    client: Client, front_desk: User, therapist: User, patient_user: User
) -> None:
    client.force_login(front_desk)
    assert client.get("/sessions/billing/codes/").status_code == 200
    for user in (therapist, patient_user):
        client.force_login(user)
        assert client.get("/sessions/billing/codes/").status_code == 403


def test_code_list_queries_are_bounded(
    client: Client, clinic_admin: User, django_assert_max_num_queries: object
) -> None:
    client.force_login(clinic_admin)
    BillingCode.objects.exclude(code="90791").delete()
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert client.get("/sessions/billing/codes/").status_code == 200
    BillingCode.objects.bulk_create(
        BillingCode(system="cpt", code=f"X{n:03}", description="synthetic", source="test")
        for n in range(50)
    )
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get("/sessions/billing/codes/")
    assert b"X049" in response.content


def test_the_course_clinician_chooses_diagnoses_from_the_catalogue(client: Client) -> None:
    course = CourseFactory()
    client.force_login(course.therapist)
    f41 = BillingCode.objects.get(code="F41.1")
    response = client.post(f"/sessions/billing/courses/{course.uuid}/diagnoses/", {"code": f41.pk})
    assert response.status_code == 302
    diagnosis = CourseDiagnosis.objects.get(course=course)
    assert diagnosis.code == f41
    assert diagnosis.is_primary
    assert AuditEvent.objects.filter(action="create", detail__contains="F41.1").exists()
    # A procedure code is not a diagnosis: refused on the field, nothing saved.
    cpt = BillingCode.objects.get(code="90837")
    response = client.post(f"/sessions/billing/courses/{course.uuid}/diagnoses/", {"code": cpt.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert CourseDiagnosis.objects.filter(course=course).count() == 1


def test_a_second_primary_diagnosis_replaces_the_first(clinic_admin: User) -> None:
    course = CourseFactory()
    first = services.course_diagnosis_add(
        by=clinic_admin, course=course, code=BillingCode.objects.get(code="F32.1")
    )
    second = services.course_diagnosis_add(
        by=clinic_admin,
        course=course,
        code=BillingCode.objects.get(code="F43.10"),
        is_primary=True,
    )
    first.refresh_from_db()
    assert second.is_primary
    assert not first.is_primary


def test_diagnoses_access(
    client: Client, outsider: User, patient_user: User, front_desk: User
) -> None:
    course = CourseFactory()
    url = f"/sessions/billing/courses/{course.uuid}/diagnoses/"
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(patient_user)
    assert client.get(url).status_code == 404
    client.force_login(front_desk)
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="read", detail="course diagnoses viewed").exists()
