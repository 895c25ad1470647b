"""Item 7: the billing report (charges, adjustments, payments, refunds and outstanding by period,
clinician and code), hand-computed; its page, CSV export, query budget and access matrix."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from sessions.billing import reports, services
from sessions.billing.models import BillingCode, Charge, ChargeStatus, Payment
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
URL = "/sessions/billing/reports/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def _ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def _charge(
    patient: Patient,
    provider: User | None,
    code: str,
    amount: str,
    on: date,
    status: str = ChargeStatus.POSTED,
) -> Charge:
    return Charge.objects.create(
        patient=patient,
        code=BillingCode.objects.get(code=code),
        date_of_service=on,
        rendering_provider=provider,
        unit_fee=Decimal(amount),
        amount=Decimal(amount),
        status=status,
        posted_at=_ny(on.year, on.month, on.day, 18) if status == ChargeStatus.POSTED else None,
    )


def _adjust(charge: Charge, by: User, amount: str, at: datetime) -> Charge:
    adjustment = services.charge_adjust(charge=charge, by=by, amount=Decimal(amount), reason="r")
    Charge.objects.filter(pk=adjustment.pk).update(posted_at=at)
    return adjustment


def _pay(patient: Patient, by: User, amount: str, at: datetime, *, credit: bool = False) -> Payment:
    payment = services.payment_record(
        by=by, patient=patient, amount=Decimal(amount), method="cash", is_credit=credit
    )
    Payment.objects.filter(pk=payment.pk).update(received_at=at)
    payment.refresh_from_db()
    return payment


@pytest.fixture
def ledger(front_desk: User) -> dict[str, User]:
    """Two patients of two therapists around March 2026 (New York); see the sums in each test."""
    first_therapist = UserFactory(role=Role.THERAPIST, full_name="Alma Therapist")
    second_therapist = UserFactory(role=Role.THERAPIST, full_name="Bea Therapist")
    one, two = PatientFactory(), PatientFactory()
    c0 = _charge(one, first_therapist, "90837", "180", date(2026, 2, 25))  # before March
    c1 = _charge(one, first_therapist, "90837", "180", date(2026, 3, 5))
    _charge(one, first_therapist, "90834", "150", date(2026, 3, 20))  # c2
    c3 = _charge(two, second_therapist, "90834", "150", date(2026, 3, 31))
    _charge(two, second_therapist, "90837", "180", date(2026, 4, 1))  # c4, after March
    _charge(one, first_therapist, "90837", "999", date(2026, 3, 10), ChargeStatus.PROPOSED)
    _charge(two, second_therapist, "90837", "999", date(2026, 3, 11), ChargeStatus.DISCARDED)
    _adjust(c1, front_desk, "-30", _ny(2026, 3, 10, 12))  # a1, in March
    _adjust(c0, front_desk, "-20", _ny(2026, 2, 28, 12))  # a2, before
    _adjust(c3, front_desk, "10", _ny(2026, 4, 1, 0, 30))  # a3, after (04:30 UTC 1 April)
    # pay1: 23:30 in New York on 28 February is 1 March in UTC: not in March. c0 160, c1 40.
    _pay(one, front_desk, "200", _ny(2026, 2, 28, 23, 30))
    pay2 = _pay(one, front_desk, "100", _ny(2026, 3, 15, 10))  # c1 100
    refund = services.refund_record(by=front_desk, payment=pay2, amount=Decimal("25"), reason="x")
    Payment.objects.filter(pk=refund.pk).update(received_at=_ny(2026, 3, 16, 9))
    # pay3: 23:30 on 31 March in New York (1 April in UTC) is in March. c3 150.
    _pay(two, front_desk, "150", _ny(2026, 3, 31, 23, 30))
    # pay4 in April: c3 10, c4 180, 210 kept as credit.
    _pay(two, front_desk, "400", _ny(2026, 4, 2, 9), credit=True)
    return {"first": first_therapist, "second": second_therapist}


def test_march_totals_by_clinic_clinician_and_code(ledger: dict[str, User]) -> None:
    report = reports.billing_report(start=date(2026, 3, 1), end=date(2026, 3, 31), zone=NEW_YORK)
    total = report.total
    assert total.charges == Decimal("480.00")  # c1 180 + c2 150 + c3 150
    assert total.adjustments == Decimal("-30.00")  # a1
    assert total.payments == Decimal("250.00")  # pay2 100 + pay3 150
    assert total.refunds == Decimal("25.00")
    # Charged to date 660 (c0..c3) - 50 (a1, a2) - paid 450 (pay1..pay3) + refunded 25.
    assert total.outstanding == Decimal("185.00")
    clinicians = {row.label: row for row in report.by_clinician}
    assert list(clinicians) == ["Alma Therapist", "Bea Therapist"]
    alma, bea = clinicians["Alma Therapist"], clinicians["Bea Therapist"]
    assert (alma.charges, alma.adjustments, alma.payments, alma.outstanding) == (
        Decimal("330.00"),
        Decimal("-30.00"),
        Decimal("100.00"),
        Decimal("160.00"),  # 460 charged to date - 300 applied to date
    )
    assert (bea.charges, bea.adjustments, bea.payments, bea.outstanding) == (
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("150.00"),
        Decimal("0.00"),  # c4, a3 and pay4 fall after March
    )
    codes = {row.key: row for row in report.by_code}
    assert codes["90837"].label.startswith("90837 ")
    assert (codes["90837"].charges, codes["90837"].adjustments) == (
        Decimal("180.00"),
        Decimal("-30.00"),
    )
    assert codes["90837"].payments == Decimal("100.00")
    assert codes["90837"].outstanding == Decimal("10.00")  # 310 - 300
    assert (codes["90834"].charges, codes["90834"].payments, codes["90834"].outstanding) == (
        Decimal("300.00"),
        Decimal("150.00"),
        Decimal("150.00"),
    )
    # What the lines owe plus the refund (tied to no line) is the clinic's outstanding.
    assert alma.outstanding + bea.outstanding + total.refunds == total.outstanding


def test_april_sees_the_later_entries_and_the_credit(ledger: dict[str, User]) -> None:
    report = reports.billing_report(start=date(2026, 4, 1), end=date(2026, 4, 30), zone=NEW_YORK)
    total = report.total
    assert total.charges == Decimal("180.00")  # c4
    assert total.adjustments == Decimal("10.00")  # a3
    assert total.payments == Decimal("400.00")
    assert total.refunds == Decimal("0.00")
    # 185 + 180 + 10 - 400: the clinic owes the patients' credit of 25.
    assert total.outstanding == Decimal("-25.00")


def test_a_period_with_nothing_has_zero_rows(ledger: dict[str, User]) -> None:
    report = reports.billing_report(start=date(2025, 1, 1), end=date(2025, 1, 31), zone=NEW_YORK)
    assert report.total.charges == report.total.outstanding == Decimal("0.00")
    assert report.by_clinician == []
    assert report.by_code == []


def test_the_page_shows_the_figures_and_the_csv_is_an_audited_export(
    client: Client, ledger: dict[str, User], clinic_admin: User
) -> None:
    assert reports.clinic_zone() == NEW_YORK
    client.force_login(clinic_admin)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    text = response.content.decode()
    assert "$480.00" in text
    assert "$185.00" in text
    assert "Alma Therapist" in text
    assert AuditEvent.objects.filter(
        action="read", detail="billing report 2026-03-01 to 2026-03-31"
    ).exists()
    response = client.get(URL + "csv/", MARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == reports.CSV_HEADER
    assert rows[1] == ["Clinic", "Whole clinic", "480.00", "-30.00", "250.00", "25.00", "185.00"]
    assert ["Clinician", "Alma Therapist", "330.00", "-30.00", "100.00", "", "160.00"] in rows
    assert rows[-1][0] == "Code"
    assert (
        AuditEvent.objects.filter(action="export", detail__startswith="billing report CSV").count()
        == 1
    )


def test_a_bad_period_is_refused_on_the_field(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.get(URL, {"start": "2026-03-31", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "on or after the first day" in response.context["form"].errors["end"][0]
    assert response.context["report"] is None
    response = client.get(URL + "csv/", {"start": "not a day", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "start" in response.context["form"].errors
    assert not AuditEvent.objects.filter(object_type="kap_sessions.billingreport").exists()


def test_the_default_period_is_this_month(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    response = client.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.period.start.day == 1
    assert report.period.end.month == report.period.start.month


@pytest.mark.parametrize("lines", [1, 40])
def test_the_report_costs_a_fixed_number_of_queries(
    client: Client,
    front_desk: User,
    clinic_admin: User,
    lines: int,
    django_assert_max_num_queries: object,
) -> None:
    codes = ["90832", "90834", "90837", "90791"]
    for number in range(lines):
        patient = PatientFactory()
        therapist = UserFactory(role=Role.THERAPIST)
        charge = _charge(patient, therapist, codes[number % 4], "100", date(2026, 3, 2))
        _adjust(charge, front_desk, "-10", _ny(2026, 3, 3, 9))
        _pay(patient, front_desk, "50", _ny(2026, 3, 4, 9))
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        response = client.get(URL, MARCH)
    assert response.status_code == 200
    assert response.context["report"].total.charges == Decimal(100 * lines)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        assert client.get(URL + "csv/", MARCH).status_code == 200


def _front_desk_without_billing() -> User:
    group = Group.objects.get(name=Role.FRONT_DESK.value)
    group.permissions.remove(Permission.objects.get(codename="manage_billing"))
    return UserFactory(role=Role.FRONT_DESK)


def test_access_to_the_report(
    client: Client,
    clinic_admin: User,
    front_desk: User,
    therapist: User,
    prescriber: User,
    patient: Patient,
) -> None:
    for user in (clinic_admin, front_desk):
        client.force_login(user)
        assert client.get(URL, MARCH).status_code == 200
        assert client.get(URL + "csv/", MARCH).status_code == 200
    assert patient.user is not None
    for user in (therapist, prescriber, patient.user, _front_desk_without_billing()):
        client.force_login(user)
        assert client.get(URL, MARCH).status_code == 403
        assert client.get(URL + "csv/", MARCH).status_code == 403
    client.logout()
    assert client.get(URL, MARCH).status_code == 302


def test_billing_staff_find_the_report_on_their_landing_page(
    client: Client, front_desk: User, clinic_admin: User
) -> None:
    for user in (front_desk, clinic_admin):
        client.force_login(user)
        assert URL.encode() in client.get("/", follow=True).content
    client.force_login(_front_desk_without_billing())
    response = client.get("/", follow=True)
    assert URL.encode() not in response.content
    assert b"Billing is not part of your role here." in response.content
