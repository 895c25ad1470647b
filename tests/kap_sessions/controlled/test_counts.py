"""Blind counts: compared after entry; a discrepancy holds the lot for doses until a clinic
admin resolves it with an explanation and the loss report's reference."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kap_clinic.accounts.models import User
from sessions.controlled import services as ledger
from sessions.controlled.models import CountKind, EntryKind, Incident, LedgerEntry, Product, Safe
from sessions.models import DoseAdministration, DosingRecord
from tests.kap_sessions.controlled.conftest import give, receive

pytestmark = pytest.mark.django_db


def test_a_count_that_matches_opens_nothing(
    esketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(esketamine_product, safe, "4", by=prescriber)
    count, incidents = ledger.count_record(
        safe=safe, kind=CountKind.START_OF_DAY, counted={lot.id: "4"}, by=prescriber
    )
    assert incidents == []
    line = count.lines.get()
    assert (line.counted, line.expected) == (Decimal("4"), Decimal("4"))


def test_every_lot_of_the_safe_must_be_counted_even_an_empty_one(
    esketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(esketamine_product, safe, "4", by=prescriber)
    empty = receive(esketamine_product, safe, "1", by=prescriber, lot_number="LOT-EMPTY")
    ledger.entry_reverse(entry=empty.entries.get(), reason="never arrived", by=prescriber)
    with pytest.raises(ValidationError, match="Count every lot in the safe: LOT-EMPTY"):
        ledger.count_record(
            safe=safe, kind=CountKind.END_OF_DAY, counted={lot.id: "4"}, by=prescriber
        )
    assert not Incident.objects.exists()


def test_a_discrepancy_holds_the_lot_until_a_clinic_admin_resolves_it(
    esketamine_product: Product,
    safe: Safe,
    esketamine_session: DosingRecord,
    prescriber: User,
    clinic_admin: User,
) -> None:
    lot = receive(esketamine_product, safe, "4", by=prescriber)
    _, incidents = ledger.count_record(
        safe=safe, kind=CountKind.START_OF_DAY, counted={lot.id: "3"}, by=prescriber
    )
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.count_line.difference == Decimal("-1")

    with pytest.raises(ValidationError, match="a clinic admin must resolve the discrepancy"):
        give(esketamine_session, lot, "28")
    assert not DoseAdministration.objects.exists()

    with pytest.raises(ValidationError, match="not allowed"):
        ledger.incident_resolve(
            incident=incident, explanation="x", loss_report_reference="y", by=prescriber
        )
    with pytest.raises(ValidationError, match="DEA Form 106"):
        ledger.incident_resolve(
            incident=incident,
            explanation="One device unaccounted for.",
            loss_report_reference="",
            by=clinic_admin,
        )
    ledger.incident_resolve(
        incident=incident,
        explanation="One device unaccounted for; reported.",
        loss_report_reference="DEA-106-2026-001",
        by=clinic_admin,
    )
    loss = LedgerEntry.objects.get(kind=EntryKind.LOSS)
    # The ledger follows the count: 4 - 1 = 3 devices.
    assert (loss.quantity, loss.balance_after, loss.reference) == (
        Decimal("-1"),
        Decimal("3"),
        "DEA-106-2026-001",
    )
    give(esketamine_session, lot, "28")
    lot.refresh_from_db()
    assert lot.balance == Decimal("2")
    with pytest.raises(ValidationError, match="already resolved"):
        ledger.incident_resolve(
            incident=incident, explanation="again", loss_report_reference="", by=clinic_admin
        )


def test_a_surplus_is_resolved_as_a_correction_without_a_loss_report(
    ketamine_product: Product, safe: Safe, prescriber: User, clinic_admin: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    _, incidents = ledger.count_record(
        safe=safe, kind=CountKind.INVENTORY, counted={lot.id: "10.2"}, by=prescriber
    )
    ledger.incident_resolve(
        incident=incidents[0],
        explanation="Overfill in the vial.",
        loss_report_reference="",
        by=clinic_admin,
    )
    entry = LedgerEntry.objects.get(kind=EntryKind.CORRECTION)
    # 10 + 0.2 = 10.2 mL.
    assert (entry.quantity, entry.balance_after) == (Decimal("0.2"), Decimal("10.2"))


def test_the_stock_page_says_when_the_next_full_inventory_is_due(
    client: Client, esketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(esketamine_product, safe, "4", by=prescriber)
    client.force_login(prescriber)
    page = client.get(reverse("sessions:ledger:index")).content.decode()
    assert "A full inventory every 730 days" in page
    assert "none recorded yet" in page
    count, _ = ledger.count_record(
        safe=safe, kind=CountKind.INVENTORY, counted={lot.id: "4"}, by=prescriber
    )
    page = client.get(reverse("sessions:ledger:index")).content.decode()
    # 730 days after the inventory's day in the clinic's zone (settings.TIME_ZONE).
    due = timezone.localdate(count.counted_at, ZoneInfo(settings.TIME_ZONE)) + timedelta(days=730)
    assert f"next due by {due.day} {due:%b %Y}" in page
