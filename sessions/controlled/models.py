"""The controlled-substance ledger (ketamine and esketamine are Schedule III; records under 21 CFR
1304): safes per location, products, lots with their balance, append-only entries, counts and
discrepancy incidents.

Imported by sessions/models.py so the tables live in the kap_sessions migrations. Entries are
never changed or deleted: a trigger refuses it on PostgreSQL (and SQLite), like the audit table.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Safe(models.Model):
    """A locked storage place for controlled substances at one location."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(
        "kap_sessions.Location", on_delete=models.PROTECT, related_name="safes"
    )
    name = models.CharField("safe", max_length=80)
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="safe_name_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"


class CountingUnit(models.TextChoices):
    DEVICE = "device", "Device"
    MILLILITRE = "ml", "mL"


class ProductForm(models.TextChoices):
    NASAL_SPRAY_DEVICE = "nasal_device", "Nasal spray device"
    INJECTION_VIAL = "vial", "Solution for injection (vial)"
    LOZENGE = "lozenge", "Lozenge / troche"


class Product(models.Model):
    """A stocked product. Esketamine is counted in devices (strength: mg per device); ketamine
    in mL of a solution of ``strength_mg`` mg per mL."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    ndc = models.CharField("NDC", max_length=13, unique=True)
    # The values of sessions.models.Drug (not imported: sessions.models imports this module).
    drug = models.CharField(
        max_length=20, choices=[("ketamine", "Ketamine (racemic)"), ("esketamine", "Esketamine")]
    )
    strength_mg = models.DecimalField(
        "strength (mg per counting unit)",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    form = models.CharField(max_length=20, choices=ProductForm.choices)
    counting_unit = models.CharField(max_length=10, choices=CountingUnit.choices)
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(strength_mg__gt=0), name="product_strength_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} (NDC {self.ndc})"

    @property
    def unit_label(self) -> str:
        return "devices" if self.counting_unit == CountingUnit.DEVICE else "mL"

    @property
    def strength_label(self) -> str:
        per = "device" if self.counting_unit == CountingUnit.DEVICE else "mL"
        return f"{self.strength_mg.normalize():f} mg/{per}"


class StockLot(models.Model):
    """One manufacturer's lot of a product held in one safe, with its running balance (in the
    product's counting unit). The balance row is locked by every movement."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    safe = models.ForeignKey(Safe, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=60)
    expires_on = models.DateField("expiry date")
    balance = models.DecimalField(max_digits=10, decimal_places=3, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product__name", "lot_number", "safe__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "safe", "lot_number"], name="stock_lot_once_per_safe"
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="stock_lot_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} lot {self.lot_number} · {self.safe.name}"


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADMINISTRATION = "administration", "Administration"
    WASTE = "waste", "Waste"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    RETURN = "return", "Return to supplier"
    DESTRUCTION = "destruction", "Destruction"
    LOSS = "loss", "Loss or theft"
    CORRECTION = "correction", "Correction"


# Kinds that need a second person's signature: on-site destruction is witnessed by two
# employees (21 CFR 1317.95(d)); waste and returns by clinic policy (not in CLINICAL.md).
WITNESSED_KINDS = (EntryKind.WASTE, EntryKind.RETURN, EntryKind.DESTRUCTION)


class LedgerEntry(models.Model):
    """One movement of one lot: written once, never changed (a correction reverses it)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stock_lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    # Signed, in the product's counting unit: + into the safe, - out of it.
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    balance_after = models.DecimalField("balance", max_digits=10, decimal_places=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    witness_signed_at = models.DateTimeField(null=True, blank=True)
    # Receipts.
    supplier = models.CharField(max_length=120, blank=True)
    invoice_number = models.CharField(max_length=60, blank=True)
    # Administrations: the dose, and how much was drawn (given + wasted), in the counting unit.
    dose = models.OneToOneField(
        "kap_sessions.DoseAdministration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entry",
    )
    given_quantity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    wasted_quantity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    # Transfers: both halves share an id; returns, destruction and losses: a reference (DEA
    # Form 41 / 106, reverse distributor's number).
    transfer_id = models.UUIDField(null=True, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "ledger entries"
        permissions = [
            ("post_controlled_substance", "Can post controlled-substance movements"),
            ("resolve_discrepancy", "Can resolve controlled-substance count discrepancies"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="ledger_entry_moves_something"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_entry_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} of {self.stock_lot}"


class CountKind(models.TextChoices):
    START_OF_DAY = "start_of_day", "Start of dosing day"
    END_OF_DAY = "end_of_day", "End of dosing day"
    INVENTORY = "inventory", "Full inventory"


class StockCount(models.Model):
    """A blind count of one safe: the counter enters what is there, never seeing the balance."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    safe = models.ForeignKey(Safe, on_delete=models.PROTECT, related_name="counts")
    kind = models.CharField(max_length=20, choices=CountKind.choices)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-counted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} count of {self.safe}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    stock_lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="count_lines")
    counted = models.DecimalField(max_digits=10, decimal_places=3)
    expected = models.DecimalField(max_digits=10, decimal_places=3)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.stock_lot}: counted {self.counted}"

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected


class Incident(models.Model):
    """A count that did not match: the lot is blocked for doses until a clinic admin resolves it
    with an explanation and the loss or theft report (DEA Form 106) reference."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stock_lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="incidents")
    count_line = models.OneToOneField(
        StockCountLine, on_delete=models.PROTECT, related_name="incident"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explanation = models.TextField(blank=True)
    loss_report_reference = models.CharField(
        "loss or theft report (e.g. DEA Form 106 number)", max_length=120, blank=True
    )

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Discrepancy in {self.stock_lot}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class LedgerPolicy(models.Model):
    """How often the clinic counts; one row, edited by clinic admins."""

    # A complete inventory at least every two years (21 CFR 1304.11(c), "biennial inventory").
    full_inventory_every_days = models.PositiveSmallIntegerField(
        "full inventory every (days)", default=730, validators=[MinValueValidator(1)]
    )
    # Start- and end-of-day counts on dosing days: clinic policy (issue 16; not a DEA rule).
    daily_counts_required = models.BooleanField(
        "count at the start and end of each dosing day", default=True
    )

    class Meta:
        verbose_name_plural = "ledger policy"

    def __str__(self) -> str:
        return "Controlled-substance count policy"

    @classmethod
    def current(cls) -> LedgerPolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy
