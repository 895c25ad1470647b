"""Item 2: fee defaults and sliding-scale tiers at their edges; discounts need a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.billing import services
from sessions.billing.models import (
    BillingCode,
    FeeDefault,
    PatientSlidingScale,
    SlidingScalePolicy,
    SlidingScaleTier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers() -> tuple[SlidingScaleTier, SlidingScaleTier]:
    SlidingScalePolicy.objects.all().delete()
    SlidingScalePolicy.objects.create(
        base_income=Decimal("10000"), per_additional_person=Decimal("5000"), source="synthetic"
    )
    full = SlidingScaleTier.objects.create(
        name="A", discount_percent=Decimal("50"), max_income_percent=100
    )
    half = SlidingScaleTier.objects.create(
        name="B", discount_percent=Decimal("25"), max_income_percent=200
    )
    return full, half


@pytest.mark.parametrize(
    ("income", "size", "expected"),
    [
        # Household of 1: line $10,000.
        ("10000.00", 1, "A"),
        ("10000.01", 1, "B"),
        ("20000.00", 1, "B"),
        ("20000.01", 1, None),
        # Household of 3: line $20,000.
        ("20000.00", 3, "A"),
        ("20000.01", 3, "B"),
        ("40000.00", 3, "B"),
        ("40000.01", 3, None),
    ],
)
def test_income_tiers_at_their_edges(
    tiers: object, income: str, size: int, expected: str | None
) -> None:
    tier = services.sliding_scale_tier_for(household_income=Decimal(income), household_size=size)
    assert (tier.name if tier else None) == expected


def test_a_household_of_zero_is_refused(tiers: object) -> None:
    with pytest.raises(ValidationError):
        services.sliding_scale_tier_for(household_income=Decimal("1"), household_size=0)


def test_discount_applied_to_a_fee(tiers: tuple[SlidingScaleTier, SlidingScaleTier]) -> None:
    full, half = tiers
    assert services.discounted(Decimal("180.00"), full) == Decimal("90.00")
    assert services.discounted(Decimal("180.00"), half) == Decimal("135.00")
    assert services.discounted(Decimal("180.00"), None) == Decimal("180.00")


def test_a_discount_needs_a_reason_and_evidence(
    tiers: tuple[SlidingScaleTier, SlidingScaleTier], patient: Patient, front_desk: User
) -> None:
    with pytest.raises(ValidationError) as error:
        services.patient_sliding_scale_set(
            by=front_desk,
            patient=patient,
            tier=tiers[0],
            review_on=date(2027, 6, 1),
            evidence="",
            reason=" ",
        )
    assert set(error.value.message_dict) == {"reason", "evidence"}
    assert not PatientSlidingScale.objects.exists()
    scale = services.patient_sliding_scale_set(
        by=front_desk,
        patient=patient,
        tier=tiers[0],
        review_on=date(2027, 6, 1),
        evidence="2025 tax return seen",
        reason="income below the line",
        household_income=Decimal("9000"),
        household_size=1,
    )
    assert scale.review_on == date(2027, 6, 1)
    assert AuditEvent.objects.filter(object_id=str(scale.pk), action="create").exists()


def test_a_tier_over_100_percent_is_refused(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        "/sessions/billing/sliding-scale/new/",
        {"name": "Too much", "discount_percent": "120", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["discount_percent"]
    assert not SlidingScaleTier.objects.filter(name="Too much").exists()


def test_an_admin_sets_a_default_charge(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    code = BillingCode.objects.get(code="90837")
    response = client.post(
        "/sessions/billing/default-charges/new/",
        {"appointment_kind": "integration", "code": code.pk, "units": "1"},
    )
    assert response.status_code == 302
    assert FeeDefault.objects.get().code == code
    # A diagnosis is not a billable code: refused on the field.
    icd = BillingCode.objects.get(code="F41.1")
    response = client.post(
        "/sessions/billing/default-charges/new/",
        {"appointment_kind": "integration", "code": icd.pk, "units": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_set_up_lists_are_bounded(
    client: Client, clinic_admin: User, django_assert_max_num_queries: object
) -> None:
    client.force_login(clinic_admin)
    code = BillingCode.objects.get(code="90837")
    FeeDefault.objects.create(appointment_kind="integration", code=code)
    SlidingScaleTier.objects.create(name="T0", discount_percent=Decimal("10"))
    for url in ("/sessions/billing/default-charges/", "/sessions/billing/sliding-scale/"):
        with django_assert_max_num_queries(8):  # type: ignore[operator]
            assert client.get(url).status_code == 200
    FeeDefault.objects.bulk_create(
        FeeDefault(appointment_kind="preparation", code=code) for _ in range(50)
    )
    SlidingScaleTier.objects.bulk_create(
        SlidingScaleTier(name=f"T{n}", discount_percent=Decimal("10")) for n in range(1, 51)
    )
    for url in ("/sessions/billing/default-charges/", "/sessions/billing/sliding-scale/"):
        with django_assert_max_num_queries(8):  # type: ignore[operator]
            assert client.get(url).status_code == 200
