"""The dose form names the lot from the safe where the location keeps the drug in the ledger,
and recording the dose posts the administration; set-up pages for safes and products."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kap_clinic.accounts.models import User
from sessions.controlled.models import EntryKind, LedgerEntry, Product, Safe
from sessions.models import DoseAdministration, DosingRecord
from tests.kap_sessions.controlled.conftest import receive

pytestmark = pytest.mark.django_db


def _dose_data(lot_id: int | str, **extra: str) -> dict[str, str]:
    now = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    return {
        "dose-dose_mg": "28",
        "dose-stock_lot": str(lot_id),
        "dose-started_at": now,
        "dose-ended_at": now,
        "dose-waste_mg": "0",
        **extra,
    }


def test_the_dose_form_offers_the_lots_of_the_safe_and_posts_the_dose(
    client: Client,
    esketamine_product: Product,
    safe: Safe,
    esketamine_session: DosingRecord,
    prescriber: User,
) -> None:
    lot = receive(esketamine_product, safe, "5", by=prescriber)
    client.force_login(prescriber)
    page = client.get(reverse("sessions:dosing_record", args=[esketamine_session.uuid]))
    html = page.content.decode()
    assert "Lot from the safe" in html
    assert "LOT-A · Spravato 28 mg nasal spray · Safe A" in html
    assert 'name="dose-lot_number"' not in html
    response = client.post(
        reverse("sessions:dose_add", args=[esketamine_session.uuid]), _dose_data(lot.id)
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind=EntryKind.ADMINISTRATION)
    # 5 devices - 1 = 4.
    assert entry.balance_after == Decimal("4")
    assert entry.dose == DoseAdministration.objects.get()


def test_a_dose_without_a_lot_re_renders_with_the_reason(
    client: Client,
    esketamine_product: Product,
    safe: Safe,
    esketamine_session: DosingRecord,
    prescriber: User,
) -> None:
    receive(esketamine_product, safe, "5", by=prescriber)
    client.force_login(prescriber)
    response = client.post(
        reverse("sessions:dose_add", args=[esketamine_session.uuid]), _dose_data("")
    )
    assert response.status_code == 400
    assert "Choose the lot from the safe" in response.content.decode()
    assert not DoseAdministration.objects.exists()


def test_without_ledger_stock_the_lot_number_is_typed(
    client: Client, esketamine_session: DosingRecord, prescriber: User
) -> None:
    client.force_login(prescriber)
    html = client.get(
        reverse("sessions:dosing_record", args=[esketamine_session.uuid])
    ).content.decode()
    assert 'name="dose-lot_number"' in html
    assert "Lot from the safe" not in html


def test_a_clinic_admin_sets_up_a_safe_and_a_product(
    client: Client, clinic_admin: User, clinic: object
) -> None:
    client.force_login(clinic_admin)
    assert client.get(reverse("sessions:ledger:safe_list")).status_code == 200
    response = client.post(
        reverse("sessions:ledger:safe_create"),
        {"location": clinic.id, "name": "Main safe", "is_active": "on"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302
    assert Safe.objects.get().name == "Main safe"
    data = {
        "name": "Spravato",
        "ndc": "50458-028-02",
        "drug": "esketamine",
        "strength_mg": "28",
        "form": "nasal_device",
        "counting_unit": "ml",
        "is_active": "on",
    }
    refused = client.post(reverse("sessions:ledger:product_create"), data)
    assert "Esketamine is counted in devices." in refused.content.decode()
    assert not Product.objects.exists()
    data["counting_unit"] = "device"
    assert client.post(reverse("sessions:ledger:product_create"), data).status_code == 302
    assert Product.objects.get().strength_label == "28 mg/device"
    policy = client.post(
        reverse("sessions:ledger:policy_edit"),
        {"daily_counts_required": "on", "full_inventory_every_days": "800"},
    )
    assert "at least every two years" in policy.content.decode()


def test_a_prescriber_cannot_open_the_set_up_pages(client: Client, prescriber: User) -> None:
    client.force_login(prescriber)
    assert client.get(reverse("sessions:ledger:safe_list")).status_code == 403
    assert client.get(reverse("sessions:ledger:product_create")).status_code == 403
