"""Nobody edits or deletes a ledger entry: the database refuses it (PostgreSQL trigger), and
the admin is read-only."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from kap_clinic.accounts.models import User
from sessions.controlled.models import Incident, LedgerEntry, Product, Safe, StockLot
from tests.kap_sessions.controlled.conftest import receive

pytestmark = pytest.mark.django_db


def test_the_database_refuses_to_update_an_entry(
    ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    assert connection.vendor == "postgresql"
    receive(ketamine_product, safe, "10", by=prescriber)
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        LedgerEntry.objects.update(quantity=5)
    assert LedgerEntry.objects.get().quantity == 10


def test_the_database_refuses_to_delete_an_entry(
    ketamine_product: Product, safe: Safe, prescriber: User
) -> None:
    receive(ketamine_product, safe, "10", by=prescriber)
    with (
        pytest.raises(DatabaseError, match="append-only: DELETE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM kap_sessions_ledgerentry")
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("model", [LedgerEntry, StockLot, Incident])
def test_the_admin_cannot_add_change_or_delete(model: type, prescriber: User) -> None:
    request = RequestFactory().get("/")
    request.user = prescriber
    admin = site._registry[model]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
