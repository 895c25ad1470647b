"""Writes of the controlled-substance ledger. Every movement locks its lot's balance row
(``select_for_update``), checks, appends one entry with the running balance and audits it, in
one transaction. Nothing here updates or deletes an entry: corrections reverse."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.controlled.models import (
    CountKind,
    EntryKind,
    Incident,
    LedgerEntry,
    Product,
    Safe,
    StockCount,
    StockCountLine,
    StockLot,
)

POST = "kap_sessions.post_controlled_substance"
RESOLVE = "kap_sessions.resolve_discrepancy"
QUANTUM = Decimal("0.001")


def _require(by: User, permission: str, what: str) -> None:
    if not by.is_active or not by.has_perm(permission):
        raise ValidationError(f"You are not allowed to {what}.")


def _quantity(value: Any, what: str = "The quantity") -> Decimal:
    try:
        quantity = Decimal(str(value)).quantize(QUANTUM)
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(f"{what} must be a number.") from error
    if quantity <= 0:
        raise ValidationError(f"{what} must be more than 0.")
    return quantity


def _shown(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _lock(stock_lot: StockLot) -> StockLot:
    """The lot's balance row, locked until the transaction ends."""
    return (
        StockLot.objects.select_for_update()
        .select_related("product", "safe__location")
        .get(id=stock_lot.id)
    )


def _local_today(stock_lot: StockLot) -> date:
    return timezone.localdate(timezone.now(), ZoneInfo(stock_lot.safe.location.time_zone))


def _append(
    *, stock_lot: StockLot, kind: str, quantity: Decimal, by: User, **fields: Any
) -> LedgerEntry:
    """Appends one entry to a locked lot; refused when it would take more than the balance."""
    balance = stock_lot.balance + quantity
    if balance < 0:
        unit = stock_lot.product.unit_label
        raise ValidationError(
            f"Lot {stock_lot.lot_number} in {stock_lot.safe.name} holds "
            f"{_shown(stock_lot.balance)} {unit}: {_shown(-quantity)} {unit} cannot be taken."
        )
    stock_lot.balance = balance
    stock_lot.save(update_fields=["balance"])
    return LedgerEntry.objects.create(
        stock_lot=stock_lot,
        kind=kind,
        quantity=quantity,
        balance_after=balance,
        recorded_by=by,
        **fields,
    )


def _audit(entry: LedgerEntry, by: User) -> None:
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=entry,
        detail=f"ledger: {entry.get_kind_display().lower()} {_shown(entry.quantity)}",
    )


def witness_check(
    *, witness: User | None, password: str, by: User, gave_dose: User | None = None
) -> User:
    """The second person signs with their own sign-in: another active staff member who is not
    the one recording (nor the one who gave the dose), re-entering their password."""
    if witness is None:
        raise ValidationError("A witness must sign.")
    if witness.id == by.id:
        raise ValidationError("The witness must be someone other than who records it.")
    if gave_dose is not None and witness.id == gave_dose.id:
        raise ValidationError("The witness cannot be the clinician who gave the dose.")
    if not witness.is_active or not witness.is_clinic_staff:
        raise ValidationError("The witness must be an active member of the clinic staff.")
    if not password or not witness.check_password(password):
        raise ValidationError("The witness's password is not correct.")
    return witness


@transaction.atomic
def receipt_post(
    *,
    product: Product,
    safe: Safe,
    lot_number: str,
    expires_on: date,
    quantity: Any,
    supplier: str,
    invoice_number: str,
    by: User,
) -> LedgerEntry:
    """Stock received from a supplier into a safe; the lot is created on its first receipt."""
    _require(by, POST, "post controlled-substance movements")
    amount = _quantity(quantity)
    lot_number = lot_number.strip()
    if not lot_number:
        raise ValidationError("The lot number is required.")
    if not supplier.strip() or not invoice_number.strip():
        raise ValidationError("The supplier and the invoice number are required.")
    stock_lot, _ = StockLot.objects.get_or_create(
        product=product, safe=safe, lot_number=lot_number, defaults={"expires_on": expires_on}
    )
    stock_lot = _lock(stock_lot)
    if stock_lot.expires_on != expires_on:
        raise ValidationError(
            f"Lot {lot_number} is recorded with expiry {stock_lot.expires_on:%d %b %Y}; "
            "check the expiry date."
        )
    entry = _append(
        stock_lot=stock_lot,
        kind=EntryKind.RECEIPT,
        quantity=amount,
        by=by,
        supplier=supplier.strip()[:120],
        invoice_number=invoice_number.strip()[:60],
    )
    _audit(entry, by)
    return entry


def dose_block_reason(stock_lot: StockLot, *, on: date | None = None) -> str:
    """Why no dose may be taken from this lot now ("" when it may)."""
    on = on or _local_today(stock_lot)
    if stock_lot.expires_on < on:
        return f"Lot {stock_lot.lot_number} expired on {stock_lot.expires_on:%d %b %Y}."
    incident = stock_lot.incidents.filter(resolved_at__isnull=True).first()
    if incident is not None:
        zone = ZoneInfo(stock_lot.safe.location.time_zone)
        return (
            f"Lot {stock_lot.lot_number} is held: a count on "
            f"{timezone.localtime(incident.opened_at, zone):%d %b %Y} did not match the "
            "ledger; a clinic admin must resolve the discrepancy first."
        )
    if stock_lot.balance <= 0:
        return f"Lot {stock_lot.lot_number} in {stock_lot.safe.name} has no balance."
    return ""


def ledger_in_use(*, location_id: int, drug: str) -> bool:
    """A location whose safes hold lots of the drug records every dose against a lot."""
    return StockLot.objects.filter(safe__location_id=location_id, product__drug=drug).exists()


def lots_for_dose(*, location_id: int, drug: str) -> Any:
    return StockLot.objects.filter(
        safe__location_id=location_id, product__drug=drug, safe__is_active=True
    ).select_related("product", "safe")


def administration_post(
    *, dose: Any, stock_lot: StockLot, by: User, witness_password: str = ""
) -> LedgerEntry:
    """Posts a recorded dose (sessions.dosing.dose_administer, in its transaction): drawn =
    given + wasted, in the lot's counting unit. Refused, with the reason, from an expired lot,
    a lot held by an open discrepancy, or more than the lot holds."""
    _require(by, POST, "take controlled substances from the safe")
    stock_lot = _lock(stock_lot)
    product = stock_lot.product
    appointment = dose.dosing_record.appointment
    if product.drug != dose.drug:
        raise ValidationError(f"Lot {stock_lot.lot_number} is not {dose.get_drug_display()}.")
    if stock_lot.safe.location_id != appointment.location_id:
        raise ValidationError(f"Lot {stock_lot.lot_number} is kept at another location.")
    blocked = dose_block_reason(stock_lot)
    if blocked:
        raise ValidationError(f"No dose from this lot: {blocked}")
    given = (dose.dose_mg / product.strength_mg).quantize(QUANTUM)
    wasted = (dose.waste_mg / product.strength_mg).quantize(QUANTUM)
    witness = None
    if wasted > 0:
        witness = witness_check(
            witness=dose.waste_witnessed_by,
            password=witness_password,
            by=by,
            gave_dose=dose.given_by,
        )
    entry = _append(
        stock_lot=stock_lot,
        kind=EntryKind.ADMINISTRATION,
        quantity=-(given + wasted),
        by=by,
        dose=dose,
        given_quantity=given,
        wasted_quantity=wasted,
        witness=witness,
        witness_signed_at=timezone.now() if witness else None,
        recorded_at=dose.recorded_at,
    )
    _audit(entry, by)
    return entry


@transaction.atomic
def waste_post(
    *,
    stock_lot: StockLot,
    quantity: Any,
    reason: str,
    witness: User | None,
    witness_password: str,
    by: User,
    dose: Any = None,
) -> LedgerEntry:
    """Medicine wasted (a part vial, a dropped device), signed by a second person."""
    _require(by, POST, "post controlled-substance movements")
    amount = _quantity(quantity)
    if not reason.strip():
        raise ValidationError("Say why the medicine was wasted.")
    witness = witness_check(
        witness=witness,
        password=witness_password,
        by=by,
        gave_dose=dose.given_by if dose is not None else None,
    )
    stock_lot = _lock(stock_lot)
    entry = _append(
        stock_lot=stock_lot,
        kind=EntryKind.WASTE,
        quantity=-amount,
        by=by,
        witness=witness,
        witness_signed_at=timezone.now(),
        reason=reason.strip()[:300],
    )
    _audit(entry, by)
    return entry


@transaction.atomic
def transfer_post(
    *, stock_lot: StockLot, to_safe: Safe, quantity: Any, by: User
) -> tuple[LedgerEntry, LedgerEntry]:
    """Moves part of a lot to another safe: an entry out of one, an entry into the other."""
    _require(by, POST, "post controlled-substance movements")
    amount = _quantity(quantity)
    if to_safe.id == stock_lot.safe_id:
        raise ValidationError("Choose another safe to transfer to.")
    if not to_safe.is_active:
        raise ValidationError(f"{to_safe.name} is not in use.")
    destination, _ = StockLot.objects.get_or_create(
        product_id=stock_lot.product_id,
        safe=to_safe,
        lot_number=stock_lot.lot_number,
        defaults={"expires_on": stock_lot.expires_on},
    )
    # Locked in id order, so two opposite transfers cannot deadlock.
    first, second = sorted([stock_lot, destination], key=lambda lot: lot.id)
    locked = {lot.id: _lock(lot) for lot in (first, second)}
    transfer_id = uuid.uuid4()
    out = _append(
        stock_lot=locked[stock_lot.id],
        kind=EntryKind.TRANSFER_OUT,
        quantity=-amount,
        by=by,
        transfer_id=transfer_id,
        reason=f"to {to_safe.name}",
    )
    into = _append(
        stock_lot=locked[destination.id],
        kind=EntryKind.TRANSFER_IN,
        quantity=amount,
        by=by,
        transfer_id=transfer_id,
        reason=f"from {stock_lot.safe.name}",
    )
    _audit(out, by)
    _audit(into, by)
    return out, into


@transaction.atomic
def disposal_post(
    *,
    kind: str,
    stock_lot: StockLot,
    quantity: Any,
    reference: str,
    witness: User | None,
    witness_password: str,
    by: User,
) -> LedgerEntry:
    """A return to the supplier (or reverse distributor) or a destruction, witnessed."""
    _require(by, POST, "post controlled-substance movements")
    if kind not in (EntryKind.RETURN, EntryKind.DESTRUCTION):
        raise ValidationError("Choose a return or a destruction.")
    amount = _quantity(quantity)
    if not reference.strip():
        raise ValidationError("The reference (return authorisation or DEA Form 41) is required.")
    witness = witness_check(witness=witness, password=witness_password, by=by)
    stock_lot = _lock(stock_lot)
    entry = _append(
        stock_lot=stock_lot,
        kind=kind,
        quantity=-amount,
        by=by,
        witness=witness,
        witness_signed_at=timezone.now(),
        reference=reference.strip()[:120],
    )
    _audit(entry, by)
    return entry


@transaction.atomic
def entry_reverse(*, entry: LedgerEntry, reason: str, by: User) -> LedgerEntry:
    """The only correction: a new entry of the opposite quantity, with the reason."""
    _require(by, POST, "post controlled-substance movements")
    if not reason.strip():
        raise ValidationError("Say why the entry is reversed.")
    stock_lot = _lock(entry.stock_lot)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("This entry has already been reversed.")
    if entry.kind == EntryKind.CORRECTION and entry.reverses_id is not None:
        raise ValidationError("A reversal cannot itself be reversed; post the movement again.")
    reversal = _append(
        stock_lot=stock_lot,
        kind=EntryKind.CORRECTION,
        quantity=-entry.quantity,
        by=by,
        reverses=entry,
        reason=reason.strip()[:300],
    )
    _audit(reversal, by)
    return reversal


@transaction.atomic
def count_record(
    *, safe: Safe, kind: str, counted: dict[int, Any], by: User
) -> tuple[StockCount, list[Incident]]:
    """A blind count of every lot in the safe ({lot id: quantity counted}), empty ones too (the
    list itself must not tell the counter what to expect); each lot whose count differs from its
    balance opens an incident that holds the lot for doses."""
    _require(by, POST, "count controlled substances")
    if kind not in CountKind.values:
        raise ValidationError("Choose the kind of count.")
    lots = list(
        StockLot.objects.select_for_update()
        .filter(safe=safe)
        .select_related("product")
        .order_by("id")
    )
    missing = [lot.lot_number for lot in lots if counted.get(lot.id) in (None, "")]
    if missing:
        raise ValidationError("Count every lot in the safe: " + ", ".join(missing) + ".")
    count = StockCount.objects.create(safe=safe, kind=kind, counted_by=by)
    incidents = []
    for lot in lots:
        try:
            value = Decimal(str(counted[lot.id])).quantize(QUANTUM)
        except (InvalidOperation, ValueError) as error:
            raise ValidationError(f"The count of lot {lot.lot_number} must be a number.") from error
        if value < 0:
            raise ValidationError(f"The count of lot {lot.lot_number} cannot be negative.")
        line = StockCountLine.objects.create(
            count=count, stock_lot=lot, counted=value, expected=lot.balance
        )
        if value != lot.balance:
            incidents.append(Incident.objects.create(stock_lot=lot, count_line=line))
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=count,
        detail=f"ledger count: {len(lots)} lots, {len(incidents)} discrepancies",
    )
    return count, incidents


@transaction.atomic
def incident_resolve(
    *, incident: Incident, explanation: str, loss_report_reference: str, by: User
) -> Incident:
    """A clinic admin explains a discrepancy. A shortfall is posted as a loss with the loss or
    theft report's reference (DEA Form 106), a surplus as a correction; the lot is released."""
    _require(by, RESOLVE, "resolve count discrepancies")
    incident = Incident.objects.select_for_update().select_related("count_line").get(id=incident.id)
    if not incident.is_open:
        raise ValidationError("This discrepancy is already resolved.")
    if not explanation.strip():
        raise ValidationError("Explain the discrepancy.")
    difference = incident.count_line.difference
    if difference < 0 and not loss_report_reference.strip():
        raise ValidationError(
            "Stock is missing: record the loss or theft report (DEA Form 106) reference."
        )
    stock_lot = _lock(incident.stock_lot)
    entry = _append(
        stock_lot=stock_lot,
        kind=EntryKind.LOSS if difference < 0 else EntryKind.CORRECTION,
        quantity=difference,
        by=by,
        reference=loss_report_reference.strip()[:120],
        reason=f"Count discrepancy resolved: {explanation.strip()}"[:300],
    )
    incident.explanation = explanation.strip()
    incident.loss_report_reference = loss_report_reference.strip()[:120]
    incident.resolved_at = timezone.now()
    incident.resolved_by = by
    incident.save(
        update_fields=["explanation", "loss_report_reference", "resolved_at", "resolved_by"]
    )
    _audit(entry, by)
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=incident, detail="ledger discrepancy resolved"
    )
    return incident
