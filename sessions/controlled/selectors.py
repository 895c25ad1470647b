"""Reads of the controlled-substance ledger, with their related rows fetched up front."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from sessions.controlled.models import EntryKind, Incident, LedgerEntry, StockCount, StockLot


def _entries() -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.select_related(
        "stock_lot__product",
        "stock_lot__safe__location",
        "recorded_by",
        "witness",
        "dose__dosing_record__appointment__patient",
        "dose__given_by",
        "reverses",
    ).order_by("recorded_at", "id")


def stock_overview() -> QuerySet[StockLot]:
    return StockLot.objects.select_related("product", "safe__location").order_by(
        "safe__location__name", "safe__name", "product__name", "lot_number"
    )


def held_lot_ids() -> set[int]:
    return set(
        Incident.objects.filter(resolved_at__isnull=True).values_list("stock_lot_id", flat=True)
    )


def lot_entries(*, stock_lot: StockLot) -> QuerySet[LedgerEntry]:
    """Every entry of one lot in one safe; each carries the lot's running balance."""
    return _entries().filter(stock_lot=stock_lot)


def product_entries(*, product_id: int) -> list[tuple[LedgerEntry, Any]]:
    """Every entry of a product, with the product's running balance across its lots and safes."""
    rows = []
    balance: Any = 0
    for entry in _entries().filter(stock_lot__product_id=product_id):
        balance += entry.quantity
        rows.append((entry, balance))
    return rows


def dispensing_log(
    *,
    patient_id: int | None = None,
    clinician_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    zone: ZoneInfo | None = None,
) -> QuerySet[LedgerEntry]:
    """Administrations, by patient and/or by the clinician who gave the dose."""
    entries = _entries().filter(kind=EntryKind.ADMINISTRATION)
    if patient_id is not None:
        entries = entries.filter(dose__dosing_record__appointment__patient_id=patient_id)
    if clinician_id is not None:
        entries = entries.filter(dose__given_by_id=clinician_id)
    if start is not None:
        entries = entries.filter(recorded_at__gte=datetime.combine(start, time(), tzinfo=zone))
    if end is not None:
        entries = entries.filter(recorded_at__lt=datetime.combine(end, time.max, tzinfo=zone))
    return entries


def open_incidents() -> QuerySet[Incident]:
    return Incident.objects.filter(resolved_at__isnull=True).select_related(
        "stock_lot__product", "stock_lot__safe", "count_line__count__counted_by"
    )


def recent_counts() -> QuerySet[StockCount]:
    return StockCount.objects.select_related("safe__location", "counted_by")[:20]


def last_full_inventory() -> StockCount | None:
    return StockCount.objects.filter(kind="inventory").order_by("-counted_at").first()


def lot_entries_all() -> QuerySet[LedgerEntry]:
    return _entries()


def dosed_patients() -> list[Any]:
    """Patients with an administration in the ledger (the dispensing log's filter)."""
    from intake.models import Patient

    return list(
        Patient.objects.filter(
            appointments__dosing_record__doses__ledger_entry__isnull=False
        ).distinct()
    )


def dosing_clinicians() -> list[Any]:
    from kap_clinic.accounts.models import User

    return list(
        User.objects.filter(
            id__in=LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).values(
                "dose__given_by_id"
            )
        ).order_by("full_name")
    )
