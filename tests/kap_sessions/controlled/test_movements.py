"""Balances after each kind of movement, computed by hand; refusals post nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.controlled import services as ledger
from sessions.controlled.models import EntryKind, LedgerEntry, Product, Safe, StockLot
from sessions.models import DoseAdministration, DosingRecord
from tests.factories import TEST_PASSWORD
from tests.kap_sessions.controlled.conftest import give, receive

pytestmark = pytest.mark.django_db


def _balance(lot: StockLot) -> Decimal:
    return StockLot.objects.get(id=lot.id).balance


def test_a_receipt_creates_the_lot_and_adds_to_its_balance(
    ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    receive(ketamine_product, safe, "5.5", by=prescriber)
    assert _balance(lot) == Decimal("15.5")
    entries = list(LedgerEntry.objects.filter(stock_lot=lot))
    assert [(e.kind, e.quantity, e.balance_after) for e in entries] == [
        (EntryKind.RECEIPT, Decimal("10"), Decimal("10")),
        (EntryKind.RECEIPT, Decimal("5.5"), Decimal("15.5")),
    ]
    assert entries[0].recorded_by == prescriber
    assert entries[0].supplier == "Test Wholesaler"
    assert AuditEvent.objects.filter(object_type="kap_sessions.ledgerentry").count() == 2


def test_a_receipt_of_a_known_lot_with_another_expiry_is_refused(
    ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    with pytest.raises(ValidationError, match="check the expiry"):
        receive(
            ketamine_product,
            safe,
            "1",
            by=prescriber,
            expires_on=lot.expires_on + timedelta(days=1),
        )
    assert _balance(lot) == Decimal("10")


def test_a_ketamine_dose_draws_given_plus_wasted_millilitres(
    ketamine_product: Product,
    safe: Safe,
    ketamine_session: DosingRecord,
    prescriber: User,
    therapist: User,
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    # 35 mg given and 5 mg wasted of 50 mg/mL: 0.7 + 0.1 = 0.8 mL drawn; 10 - 0.8 = 9.2 mL.
    dose = give(
        ketamine_session,
        lot,
        "35",
        waste_mg="5",
        waste_witnessed_by=therapist,
        waste_witness_password=TEST_PASSWORD,
    )
    assert _balance(lot) == Decimal("9.2")
    entry = LedgerEntry.objects.get(kind=EntryKind.ADMINISTRATION)
    assert entry.dose == dose
    assert (entry.quantity, entry.given_quantity, entry.wasted_quantity) == (
        Decimal("-0.8"),
        Decimal("0.7"),
        Decimal("0.1"),
    )
    assert entry.balance_after == Decimal("9.2")
    assert entry.witness == therapist
    assert DoseAdministration.objects.get().lot_number == "LOT-A"


def test_waste_at_the_dose_needs_the_witness_password(
    ketamine_product: Product,
    safe: Safe,
    ketamine_session: DosingRecord,
    prescriber: User,
    therapist: User,
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    with pytest.raises(ValidationError, match="password is not correct"):
        give(
            ketamine_session,
            lot,
            "35",
            waste_mg="5",
            waste_witnessed_by=therapist,
            waste_witness_password="wrong",
        )
    assert not DoseAdministration.objects.exists()
    assert _balance(lot) == Decimal("10")


def test_each_esketamine_device_takes_one_device_from_the_lot(
    esketamine_product: Product, safe: Safe, esketamine_session: DosingRecord, prescriber: User
) -> None:
    lot = receive(esketamine_product, safe, "6", by=prescriber)
    give(esketamine_session, lot, "28", minutes_ago=10)
    give(esketamine_session, lot, "28", minutes_ago=4)
    # 6 devices - 1 - 1 = 4.
    assert _balance(lot) == Decimal("4")
    assert list(
        LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).values_list(
            "given_quantity", "balance_after"
        )
    ) == [(Decimal("1"), Decimal("5")), (Decimal("1"), Decimal("4"))]


def test_an_expired_lot_is_refused_and_nothing_is_posted(
    esketamine_product: Product, safe: Safe, esketamine_session: DosingRecord, prescriber: User
) -> None:
    yesterday = timezone.localdate() - timedelta(days=2)
    lot = receive(esketamine_product, safe, "2", by=prescriber, expires_on=yesterday)
    with pytest.raises(ValidationError, match="expired on"):
        give(esketamine_session, lot, "28")
    assert not DoseAdministration.objects.exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.ADMINISTRATION).count() == 0
    assert _balance(lot) == Decimal("2")


def test_a_lot_with_no_balance_is_refused_and_nothing_is_posted(
    esketamine_product: Product, safe: Safe, esketamine_session: DosingRecord, prescriber: User
) -> None:
    lot = receive(esketamine_product, safe, "1", by=prescriber)
    ledger.entry_reverse(entry=lot.entries.get(), reason="received in error", by=prescriber)
    with pytest.raises(ValidationError, match="has no balance"):
        give(esketamine_session, lot, "28")
    assert not DoseAdministration.objects.exists()


def test_a_dose_takes_no_more_than_the_lot_holds(
    ketamine_product: Product, safe: Safe, ketamine_session: DosingRecord, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "0.5", by=prescriber)
    with pytest.raises(ValidationError, match="holds 0.5 mL: 0.7 mL cannot be taken"):
        give(ketamine_session, lot, "35")
    assert not DoseAdministration.objects.exists()
    assert _balance(lot) == Decimal("0.5")


def test_where_the_ledger_holds_the_drug_a_dose_must_name_its_lot(
    esketamine_product: Product, safe: Safe, esketamine_session: DosingRecord, prescriber: User
) -> None:
    receive(esketamine_product, safe, "2", by=prescriber)
    with pytest.raises(ValidationError, match="Choose the lot"):
        give(esketamine_session, None, "28")
    assert not DoseAdministration.objects.exists()


def test_waste_is_signed_by_a_witness_with_their_password(
    ketamine_product: Product, safe: Safe, prescriber: User, therapist: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    entry = ledger.waste_post(
        stock_lot=lot,
        quantity="1.5",
        reason="vial dropped",
        witness=therapist,
        witness_password=TEST_PASSWORD,
        by=prescriber,
    )
    # 10 - 1.5 = 8.5 mL.
    assert (entry.quantity, entry.balance_after) == (Decimal("-1.5"), Decimal("8.5"))
    assert entry.witness == therapist
    assert entry.witness_signed_at is not None


@pytest.mark.parametrize(
    ("who", "password", "message"),
    [
        ("self", TEST_PASSWORD, "someone other than who records"),
        ("therapist", "not-the-password", "password is not correct"),
        ("none", "", "A witness must sign"),
        ("patient", TEST_PASSWORD, "member of the clinic staff"),
    ],
)
def test_waste_witness_rules(
    ketamine_product: Product,
    safe: Safe,
    prescriber: User,
    therapist: User,
    patient_user: User,
    who: str,
    password: str,
    message: str,
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    witness = {"self": prescriber, "therapist": therapist, "none": None, "patient": patient_user}[
        who
    ]
    with pytest.raises(ValidationError, match=message):
        ledger.waste_post(
            stock_lot=lot,
            quantity="1",
            reason="spilled",
            witness=witness,
            witness_password=password,
            by=prescriber,
        )
    assert _balance(lot) == Decimal("10")
    assert lot.entries.count() == 1


def test_the_witness_of_a_waste_cannot_be_who_gave_the_dose(
    ketamine_product: Product,
    safe: Safe,
    ketamine_session: DosingRecord,
    prescriber: User,
    therapist: User,
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    dose = give(ketamine_session, lot, "35")
    # The therapist records the leftover's waste; the prescriber who gave the dose cannot sign.
    ledger_group_member = therapist
    from django.contrib.auth.models import Group

    ledger_group_member.groups.add(Group.objects.get(name="Controlled substances"))
    ledger_group_member = User.objects.get(id=therapist.id)
    with pytest.raises(ValidationError, match="cannot be the clinician who gave the dose"):
        ledger.waste_post(
            stock_lot=lot,
            quantity="0.3",
            reason="left in the syringe",
            witness=prescriber,
            witness_password=TEST_PASSWORD,
            by=ledger_group_member,
            dose=dose,
        )
    assert _balance(lot) == Decimal("9.3")


def test_a_dose_waste_witnessed_by_the_giver_is_refused(
    ketamine_product: Product, safe: Safe, ketamine_session: DosingRecord, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    with pytest.raises(ValidationError, match="witness other than who gave the dose"):
        give(
            ketamine_session,
            lot,
            "35",
            waste_mg="5",
            waste_witnessed_by=prescriber,
            waste_witness_password=TEST_PASSWORD,
        )
    assert _balance(lot) == Decimal("10")


def test_a_transfer_moves_stock_between_safes(
    ketamine_product: Product, safe: Safe, safe_two: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    out, into = ledger.transfer_post(stock_lot=lot, to_safe=safe_two, quantity="3", by=prescriber)
    # Safe A: 10 - 3 = 7; safe B: 0 + 3 = 3, same lot number and expiry.
    assert (out.quantity, out.balance_after) == (Decimal("-3"), Decimal("7"))
    assert (into.quantity, into.balance_after) == (Decimal("3"), Decimal("3"))
    assert out.transfer_id == into.transfer_id
    moved = StockLot.objects.get(safe=safe_two)
    assert (moved.lot_number, moved.expires_on, moved.balance) == (
        lot.lot_number,
        lot.expires_on,
        Decimal("3"),
    )
    with pytest.raises(ValidationError, match="another safe"):
        ledger.transfer_post(stock_lot=lot, to_safe=safe, quantity="1", by=prescriber)
    with pytest.raises(ValidationError, match="cannot be taken"):
        ledger.transfer_post(stock_lot=lot, to_safe=safe_two, quantity="8", by=prescriber)
    assert _balance(lot) == Decimal("7")


def test_returns_and_destruction_are_witnessed(
    esketamine_product: Product, safe: Safe, prescriber: User, therapist: User
) -> None:
    lot = receive(esketamine_product, safe, "9", by=prescriber)
    returned = ledger.disposal_post(
        kind=EntryKind.RETURN,
        stock_lot=lot,
        quantity="2",
        reference="RA-1001",
        witness=therapist,
        witness_password=TEST_PASSWORD,
        by=prescriber,
    )
    destroyed = ledger.disposal_post(
        kind=EntryKind.DESTRUCTION,
        stock_lot=lot,
        quantity="1",
        reference="DEA 41 #7",
        witness=therapist,
        witness_password=TEST_PASSWORD,
        by=prescriber,
    )
    # 9 - 2 = 7, 7 - 1 = 6 devices.
    assert (returned.balance_after, destroyed.balance_after) == (Decimal("7"), Decimal("6"))
    assert destroyed.witness == therapist
    with pytest.raises(ValidationError, match="password is not correct"):
        ledger.disposal_post(
            kind=EntryKind.DESTRUCTION,
            stock_lot=lot,
            quantity="1",
            reference="DEA 41 #8",
            witness=therapist,
            witness_password="guess",
            by=prescriber,
        )
    assert _balance(lot) == Decimal("6")


def test_a_correction_only_reverses_an_entry_with_a_reason(
    ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    receipt = lot.entries.get()
    with pytest.raises(ValidationError, match="Say why"):
        ledger.entry_reverse(entry=receipt, reason=" ", by=prescriber)
    reversal = ledger.entry_reverse(entry=receipt, reason="wrong product", by=prescriber)
    # 10 - 10 = 0; the receipt itself is unchanged.
    assert (reversal.kind, reversal.quantity, reversal.balance_after) == (
        EntryKind.CORRECTION,
        Decimal("-10"),
        Decimal("0"),
    )
    assert reversal.reverses == receipt
    assert LedgerEntry.objects.get(id=receipt.id).quantity == Decimal("10")
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger.entry_reverse(entry=receipt, reason="again", by=prescriber)
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        ledger.entry_reverse(entry=reversal, reason="undo", by=prescriber)


def test_only_holders_of_the_permission_post(
    ketamine_product: Product, safe: Safe, clinic_admin: User, therapist: User
) -> None:
    for user in (clinic_admin, therapist):
        with pytest.raises(ValidationError, match="not allowed"):
            receive(ketamine_product, safe, "1", by=user)
    assert not LedgerEntry.objects.exists()
