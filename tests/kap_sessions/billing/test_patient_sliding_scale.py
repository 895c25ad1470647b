"""A patient's sliding-scale tier: set by billing staff from the chart's Billing section with its
review date and evidence; overdue reviews flagged; tier set-up URLs by UUID."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.billing.models import PatientSlidingScale, SlidingScalePolicy, SlidingScaleTier

pytestmark = pytest.mark.django_db


@pytest.fixture
def income_tier() -> SlidingScaleTier:
    SlidingScalePolicy.objects.all().delete()
    SlidingScalePolicy.objects.create(
        base_income=Decimal("10000"), per_additional_person=Decimal("5000"), source="synthetic"
    )
    return SlidingScaleTier.objects.create(
        name="Income up to the line", discount_percent=Decimal("50"), max_income_percent=100
    )


def _url(patient: Patient) -> str:
    return f"/sessions/billing/patients/{patient.uuid}/sliding-scale/"


def _post(client: Client, patient: Patient, chosen: SlidingScaleTier, **changes: str) -> object:
    data = {
        "tier": str(chosen.pk),
        "household_income": "15000",
        "household_size": "2",
        "review_on": str(timezone.localdate() + timedelta(days=365)),
        "evidence": "2025 tax return seen",
        "reason": "income at the line",
        **changes,
    }
    return client.post(_url(patient), data)


def test_front_desk_sets_a_patients_tier_from_the_chart(
    client: Client, front_desk: User, patient: Patient, income_tier: SlidingScaleTier
) -> None:
    client.force_login(front_desk)
    chart = client.get(f"/patients/{patient.uuid}/chart/billing/")
    assert _url(patient).encode() in chart.content
    assert b"Full fees" in chart.content
    response = _post(client, patient, income_tier)
    assert response.status_code == 302  # type: ignore[attr-defined]
    scale = PatientSlidingScale.objects.get()
    assert scale.tier == income_tier
    assert scale.household_income == Decimal("15000")  # the line for 2 is $15,000: at the edge
    assert scale.evidence == "2025 tax return seen"
    assert AuditEvent.objects.filter(action="create", detail="sliding-scale tier set").exists()
    page = client.get(_url(patient))
    assert b"2025 tax return seen" in page.content
    assert b"Review overdue" not in client.get(f"/patients/{patient.uuid}/chart/billing/").content


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"household_income": "-1"}, "household_income", "cannot be negative"),
        ({"household_size": "0"}, "household_size", "at least one person"),
        ({"household_income": "15000.01"}, "tier", "above Income up to the line's limit"),
        ({"household_income": ""}, "household_income", "enter the household's income"),
        ({"evidence": " "}, "evidence", "required"),
        ({"review_on": "2020-01-01"}, "review_on", "after today"),
        ({"tier": "999999"}, "tier", "tiers in use"),
    ],
)
def test_bad_input_is_refused_on_the_field_and_nothing_is_saved(
    client: Client,
    front_desk: User,
    patient: Patient,
    income_tier: SlidingScaleTier,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    client.force_login(front_desk)
    response = _post(client, patient, income_tier, **changes)
    assert response.status_code == 200  # type: ignore[attr-defined]
    errors = response.context["form"].errors  # type: ignore[attr-defined]
    assert message in " ".join(errors[field])
    assert not PatientSlidingScale.objects.exists()


def test_a_review_past_due_is_flagged(
    front_desk: User, client: Client, patient: Patient, income_tier: SlidingScaleTier
) -> None:
    PatientSlidingScale.objects.create(
        patient=patient,
        tier=income_tier,
        review_on=timezone.localdate(),
        evidence="pay slips",
        reason="low income",
        set_by=front_desk,
    )
    client.force_login(front_desk)
    assert b"Review overdue" in client.get(f"/patients/{patient.uuid}/chart/billing/").content
    assert b"The review of this tier was due" in client.get(_url(patient)).content


def test_only_billing_staff_open_the_tier_page(
    client: Client, therapist: User, patient_user: User, patient: Patient, front_desk: User
) -> None:
    client.force_login(therapist)
    assert client.get(_url(patient)).status_code == 403
    client.force_login(patient_user)
    assert client.get(_url(patient)).status_code == 403
    client.force_login(front_desk)
    assert client.get(_url(patient)).status_code == 200


def test_tier_page_queries_are_bounded(
    client: Client,
    front_desk: User,
    patient: Patient,
    income_tier: SlidingScaleTier,
    django_assert_max_num_queries: object,
) -> None:
    def _set() -> None:
        PatientSlidingScale.objects.create(
            patient=patient,
            tier=income_tier,
            review_on=timezone.localdate() + timedelta(days=30),
            evidence="pay slips",
            reason="low income",
            set_by=front_desk,
        )

    _set()
    client.force_login(front_desk)
    with django_assert_max_num_queries(20) as one:  # type: ignore[operator]
        assert client.get(_url(patient)).status_code == 200
    for _ in range(30):
        _set()
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        response = client.get(_url(patient))
    assert response.content.count(b"review date") == 30


def test_tier_set_up_urls_use_uuids(
    client: Client, clinic_admin: User, income_tier: SlidingScaleTier
) -> None:
    client.force_login(clinic_admin)
    listing = client.get("/sessions/billing/sliding-scale/")
    assert f"/sessions/billing/sliding-scale/{income_tier.uuid}/".encode() in listing.content
    assert client.get(f"/sessions/billing/sliding-scale/{income_tier.pk}/").status_code == 404
    response = client.post(
        f"/sessions/billing/sliding-scale/{income_tier.uuid}/",
        {"name": "Renamed", "discount_percent": "40", "max_income_percent": "100"},
    )
    assert response.status_code == 302
    income_tier.refresh_from_db()
    assert income_tier.name == "Renamed"
