"""Billing reports: charges, adjustments, payments and what is outstanding over a period, for the
clinic and by clinician and by code. Every figure is a database aggregate, so a report costs the
same few queries whatever the number of rows.

Which date puts an entry in the period (all days in the clinic's zone):
- a charge line: its date of service;
- an adjustment: the day it was posted (the money changed then, not on the date of service);
- a payment or refund: the day it was received.
Outstanding is as at the end of the period: charges and adjustments up to then, less payments up
to then, plus refunds up to then. Refunds and payments kept as credit are not tied to a charge
line, so the per-clinician and per-code rows show what was applied to their lines, and only the
clinic total counts refunds and credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from kap_clinic.clinic.selectors import organisation_get
from sessions.billing.models import Charge, ChargeStatus, Payment, PaymentAllocation, PaymentKind

ZERO = Decimal("0.00")
NO_CLINICIAN = "No clinician named"


def clinic_zone() -> ZoneInfo:
    """The organisation's zone, else the installation's (settings.TIME_ZONE)."""
    organisation = organisation_get()
    return ZoneInfo(organisation.time_zone if organisation else settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    zone: ZoneInfo

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period (midnight after its last day, in the zone)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)


@dataclass
class ReportRow:
    key: str
    label: str
    charges: Decimal = ZERO
    adjustments: Decimal = ZERO
    payments: Decimal = ZERO
    refunds: Decimal = ZERO
    outstanding: Decimal = ZERO


@dataclass
class BillingReport:
    period: Period
    total: ReportRow
    by_clinician: list[ReportRow] = field(default_factory=list)
    by_code: list[ReportRow] = field(default_factory=list)


def _sum(expression: str, condition: Q) -> Coalesce:
    return Coalesce(
        Sum(expression, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def _charge_sums(period: Period) -> dict[str, Any]:
    """The four charge figures of a period as aggregate expressions over posted lines."""
    original = Q(adjusts__isnull=True)
    adjustment = Q(adjusts__isnull=False)
    return {
        "charges": _sum(
            "amount",
            original & Q(date_of_service__gte=period.start) & Q(date_of_service__lte=period.end),
        ),
        "adjustments": _sum(
            "amount",
            adjustment & Q(posted_at__gte=period.starts_at) & Q(posted_at__lt=period.ends_before),
        ),
        "charged_to_date": _sum(
            "amount",
            (original & Q(date_of_service__lte=period.end))
            | (adjustment & Q(posted_at__lt=period.ends_before)),
        ),
    }


def _posted() -> QuerySet[Charge]:
    return Charge.objects.filter(status=ChargeStatus.POSTED).order_by()


def _applied_sums(period: Period) -> dict[str, Any]:
    return {
        "applied": _sum(
            "amount",
            Q(payment__received_at__gte=period.starts_at)
            & Q(payment__received_at__lt=period.ends_before),
        ),
        "applied_to_date": _sum("amount", Q(payment__received_at__lt=period.ends_before)),
    }


def _rows(
    period: Period, *, key: str, label: str, fallback_label: str = "", prefix_key: bool = False
) -> list[ReportRow]:
    """One row per value of ``key`` (a charge field path): two grouped queries."""
    charges = _posted().values(key, label).annotate(**_charge_sums(period))
    applied = {
        row[f"charge__{key}"]: row
        for row in PaymentAllocation.objects.filter(charge__status=ChargeStatus.POSTED)
        .order_by()
        .values(f"charge__{key}")
        .annotate(**_applied_sums(period))
    }
    rows = []
    for row in charges:
        money = applied.get(row[key], {})
        paid = money.get("applied", ZERO)
        paid_to_date = money.get("applied_to_date", ZERO)
        name = row[label] or fallback_label
        result = ReportRow(
            key=str(row[key] or ""),
            label=f"{row[key]} {name}" if prefix_key else name,
            charges=row["charges"],
            adjustments=row["adjustments"],
            payments=paid,
            outstanding=row["charged_to_date"] - paid_to_date,
        )
        if any((result.charges, result.adjustments, result.payments, result.outstanding)):
            rows.append(result)
    return sorted(rows, key=lambda row: (row.label == fallback_label, row.label.lower()))


def billing_report(*, start: date, end: date, zone: ZoneInfo | None = None) -> BillingReport:
    """The clinic's figures for the days ``start`` to ``end`` (both included, clinic's zone)."""
    period = Period(start=start, end=end, zone=zone or clinic_zone())
    charged = _posted().aggregate(**_charge_sums(period))
    received = Payment.objects.order_by().aggregate(
        payments=_sum(
            "amount",
            Q(kind=PaymentKind.PAYMENT)
            & Q(received_at__gte=period.starts_at)
            & Q(received_at__lt=period.ends_before),
        ),
        refunds=_sum(
            "amount",
            Q(kind=PaymentKind.REFUND)
            & Q(received_at__gte=period.starts_at)
            & Q(received_at__lt=period.ends_before),
        ),
        paid_to_date=_sum(
            "amount", Q(kind=PaymentKind.PAYMENT) & Q(received_at__lt=period.ends_before)
        ),
        refunded_to_date=_sum(
            "amount", Q(kind=PaymentKind.REFUND) & Q(received_at__lt=period.ends_before)
        ),
    )
    total = ReportRow(
        key="clinic",
        label="Whole clinic",
        charges=charged["charges"],
        adjustments=charged["adjustments"],
        payments=received["payments"],
        refunds=received["refunds"],
        outstanding=charged["charged_to_date"]
        - received["paid_to_date"]
        + received["refunded_to_date"],
    )
    return BillingReport(
        period=period,
        total=total,
        by_clinician=_rows(
            period,
            key="rendering_provider__uuid",
            label="rendering_provider__full_name",
            fallback_label=NO_CLINICIAN,
        ),
        by_code=_rows(period, key="code__code", label="code__description", prefix_key=True),
    )


CSV_HEADER = [
    "Grouping",
    "Clinician or code",
    "Charges",
    "Adjustments",
    "Payments",
    "Refunds",
    "Outstanding at end of period",
]


def csv_rows(report: BillingReport) -> list[list[str]]:
    """The report as CSV rows (after ``CSV_HEADER``): the clinic, then clinicians, then codes."""

    def line(grouping: str, row: ReportRow, *, with_refunds: bool) -> list[str]:
        return [
            grouping,
            row.label,
            str(row.charges),
            str(row.adjustments),
            str(row.payments),
            str(row.refunds) if with_refunds else "",
            str(row.outstanding),
        ]

    groups: Iterable[tuple[str, list[ReportRow]]] = (
        ("Clinician", report.by_clinician),
        ("Code", report.by_code),
    )
    table = [line("Clinic", report.total, with_refunds=True)]
    for grouping, rows in groups:
        table.extend(line(grouping, row, with_refunds=False) for row in rows)
    return table
