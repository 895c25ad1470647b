"""Ledger pages: who may open and post (the access matrix), bad input re-rendered with its
message and nothing posted, every read audited, reports as page, CSV and PDF, and a fixed
number of queries with one entry and with many."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions.controlled import services as ledger
from sessions.controlled.models import (
    CountKind,
    EntryKind,
    Incident,
    LedgerEntry,
    Product,
    Safe,
    StockLot,
)
from sessions.models import DoseAdministration, DosingRecord
from tests.factories import TEST_PASSWORD
from tests.kap_sessions.controlled.conftest import FAR_EXPIRY, give, receive

pytestmark = pytest.mark.django_db

INDEX = reverse("sessions:ledger:index")
RECEIPT = reverse("sessions:ledger:receipt_create")
WASTE = reverse("sessions:ledger:waste_create")


def _receipt_data(product: Product, safe: Safe, **overrides: Any) -> dict[str, Any]:
    return {
        "product": product.id,
        "safe": safe.id,
        "lot_number": "LOT-P",
        "expires_on": FAR_EXPIRY.isoformat(),
        "quantity": "5",
        "supplier": "Test Wholesaler",
        "invoice_number": "INV-9",
        **overrides,
    }


@pytest.mark.parametrize(
    ("who", "read", "post", "resolve"),
    [
        ("prescriber", 200, 200, 403),
        ("clinic_admin", 200, 403, 200),
        ("therapist", 403, 403, 403),
        ("front_desk", 403, 403, 403),
        ("patient_user", 403, 403, 403),
        ("nurse", 200, 200, 403),
    ],
)
def test_access_matrix(
    client: Client,
    request: pytest.FixtureRequest,
    esketamine_product: Product,
    safe: Safe,
    prescriber: User,
    who: str,
    read: int,
    post: int,
    resolve: int,
) -> None:
    lot = receive(esketamine_product, safe, "4", by=prescriber)
    _, incidents = ledger.count_record(
        safe=safe, kind=CountKind.START_OF_DAY, counted={lot.id: "4.5"}, by=prescriber
    )
    if who == "nurse":
        # A nurse (here a therapist-role account) granted the controlled-substance permission.
        user = request.getfixturevalue("therapist")
        user.groups.add(Group.objects.get(name="Controlled substances"))
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    for url in (
        INDEX,
        reverse("sessions:ledger:lot_ledger", args=[lot.uuid]),
        reverse("sessions:ledger:product_ledger", args=[esketamine_product.uuid]),
        reverse("sessions:ledger:dispensing_log"),
    ):
        assert client.get(url).status_code == read, url
    for url in (
        RECEIPT,
        WASTE,
        reverse("sessions:ledger:count_create", args=[safe.uuid]),
        reverse("sessions:ledger:entry_reverse", args=[lot.entries.first().uuid]),  # type: ignore[union-attr]
    ):
        assert client.get(url).status_code == post, url
    response = client.post(RECEIPT, _receipt_data(esketamine_product, safe))
    assert response.status_code == (302 if post == 200 else 403)
    resolve_url = reverse("sessions:ledger:incident_resolve", args=[incidents[0].uuid])
    assert client.get(resolve_url).status_code == resolve


def test_a_receipt_through_the_page_is_posted_and_audited(
    client: Client, esketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    client.force_login(prescriber)
    response = client.post(RECEIPT, _receipt_data(esketamine_product, safe))
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.balance_after) == (EntryKind.RECEIPT, Decimal("5"))
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="kap_sessions.ledgerentry"
    ).exists()


def test_a_waste_witnessed_by_the_recorder_re_renders_with_the_reason_and_posts_nothing(
    client: Client, ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    client.force_login(prescriber)
    response = client.post(
        WASTE,
        {
            "stock_lot": lot.id,
            "quantity": "1",
            "reason": "spilled",
            "witness": prescriber.id,
            "witness_password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "someone other than who records it" in response.content.decode()
    assert lot.entries.count() == 1


def test_a_receipt_with_a_negative_quantity_re_renders_and_posts_nothing(
    client: Client, esketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    client.force_login(prescriber)
    response = client.post(RECEIPT, _receipt_data(esketamine_product, safe, quantity="-2"))
    assert response.status_code == 400
    assert "must be more than 0" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_the_count_page_never_shows_the_expected_balance(
    client: Client, ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "7.25", by=prescriber)
    client.force_login(prescriber)
    url = reverse("sessions:ledger:count_create", args=[safe.uuid])
    page = client.get(url).content.decode()
    assert "LOT-A" in page
    assert "7.25" not in page
    response = client.post(url, {"kind": CountKind.END_OF_DAY, f"lot_{lot.id}": "7"})
    assert response.status_code == 302
    assert Incident.objects.get().count_line.expected == Decimal("7.25")


def test_every_read_of_the_ledger_is_audited(
    client: Client, ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    client.force_login(prescriber)
    before = AuditEvent.objects.filter(action__in=[AuditAction.READ, AuditAction.EXPORT]).count()
    url = reverse("sessions:ledger:lot_ledger", args=[lot.uuid])
    for path in (INDEX, url, url + "?format=csv", reverse("sessions:ledger:dispensing_log")):
        assert client.get(path).status_code == 200
    events = AuditEvent.objects.filter(
        action__in=[AuditAction.READ, AuditAction.EXPORT], object_type="kap_sessions.ledgerentry"
    )
    assert events.count() - before == 4
    assert events.filter(action=AuditAction.EXPORT, actor=prescriber).exists()


def test_the_lot_ledger_as_csv_and_pdf_carries_the_running_balance(
    client: Client, ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    lot = receive(ketamine_product, safe, "10", by=prescriber)
    receive(ketamine_product, safe, "2.5", by=prescriber)
    client.force_login(prescriber)
    url = reverse("sessions:ledger:lot_ledger", args=[lot.uuid])
    csv = client.get(url + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("When,Movement,Product,Lot,Safe,Quantity,Balance")
    assert ",+10 mL,10 mL," in lines[1]
    assert ",+2.5 mL,12.5 mL," in lines[2]
    pdf = client.get(url + "?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_dispensing_log_filters_by_patient_and_clinician(
    client: Client,
    esketamine_product: Product,
    safe: Safe,
    esketamine_session: DosingRecord,
    prescriber: User,
    therapist: User,
) -> None:
    lot = receive(esketamine_product, safe, "3", by=prescriber)
    give(esketamine_session, lot, "28")
    patient = esketamine_session.appointment.patient
    client.force_login(prescriber)
    url = reverse("sessions:ledger:dispensing_log")
    page = client.get(url, {"patient": str(patient.uuid)}).content.decode()
    assert f"MRN {patient.mrn}" in page
    assert "1 devices given" in page
    empty = client.get(url, {"clinician": str(therapist.uuid)}).content.decode()
    assert "No entries." in empty
    assert client.get(url, {"patient": "not-a-uuid"}).status_code == 200


def _many_entries(lot: StockLot, by: User, count: int) -> None:
    balance = lot.balance
    rows = []
    for _ in range(count):
        balance += 1
        rows.append(
            LedgerEntry(
                stock_lot=lot,
                kind=EntryKind.RECEIPT,
                quantity=Decimal("1"),
                balance_after=balance,
                recorded_by=by,
                supplier="Bulk",
                invoice_number="B",
            )
        )
    LedgerEntry.objects.bulk_create(rows)
    StockLot.objects.filter(id=lot.id).update(balance=balance)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_ledger_pages_keep_a_fixed_number_of_queries(
    client: Client,
    esketamine_product: Product,
    safe: Safe,
    esketamine_session: DosingRecord,
    prescriber: User,
) -> None:
    lot = receive(esketamine_product, safe, "3", by=prescriber)
    give(esketamine_session, lot, "28")
    client.force_login(prescriber)
    urls = [
        INDEX,
        reverse("sessions:ledger:lot_ledger", args=[lot.uuid]),
        reverse("sessions:ledger:product_ledger", args=[esketamine_product.uuid]),
        reverse("sessions:ledger:dispensing_log"),
    ]
    for url in urls:  # the first request creates the count policy row and warms the session
        client.get(url)
    one = [_queries(client, url) for url in urls]
    _many_entries(lot, prescriber, 40)
    for number in range(10):
        receive(esketamine_product, safe, "1", by=prescriber, lot_number=f"LOT-{number}")
    dose = DoseAdministration.objects.get()
    administrations = []
    for _ in range(20):
        copy = DoseAdministration.objects.create(
            dosing_record=dose.dosing_record,
            drug=dose.drug,
            route=dose.route,
            dose_mg=dose.dose_mg,
            lot_number=dose.lot_number,
            started_at=timezone.now(),
            ended_at=timezone.now(),
            given_by=prescriber,
        )
        administrations.append(copy)
    lot.refresh_from_db()
    balance = lot.balance
    for copy in administrations:
        balance -= 1
        LedgerEntry.objects.create(
            stock_lot=lot,
            kind=EntryKind.ADMINISTRATION,
            quantity=Decimal("-1"),
            balance_after=balance,
            recorded_by=prescriber,
            dose=copy,
            given_quantity=Decimal("1"),
            wasted_quantity=Decimal("0"),
        )
    many = [_queries(client, url) for url in urls]
    assert many == one
