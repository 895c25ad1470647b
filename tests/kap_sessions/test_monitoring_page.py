"""The dosing page under pressure: sticky header, quick vitals through htmx, chart, alerts on the
page and the board, no overdue after discharge, and its query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from sessions import dosing
from sessions.models import DosingRecord, DosingStatus, VitalsEntry
from sessions.monitoring.models import VitalsAlert

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _started(record: DosingRecord, *, baseline: tuple[int, int] = (120, 80)) -> DosingRecord:
    readiness = dosing.readiness_for(record.appointment)
    readiness.baseline_systolic, readiness.baseline_diastolic = baseline
    readiness.save()
    record.refresh_from_db()
    return record


def _row(**values: object) -> dict[str, object]:
    row = {
        "quick-blood_pressure_systolic": 124,
        "quick-blood_pressure_diastolic": 80,
        "quick-heart_rate": 72,
        "quick-spo2": 98,
        "quick-respiratory_rate": "",
        "quick-taken_at": "",
    }
    row.update({f"quick-{name}": value for name, value in values.items()})
    return row


def test_the_quick_vitals_row_saves_through_htmx_and_swaps_the_panel_and_header(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    client.force_login(therapist)
    response = client.post(
        f"/sessions/dosing/{record.uuid}/vitals/quick/", _row(blood_pressure_systolic=131), **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="vitals-panel"' in body
    assert "131/80" in body
    assert 'id="dosing-live"' in body
    assert 'hx-swap-oob="true"' in body
    assert "<svg" in body
    entry = VitalsEntry.objects.get()
    # A blank time means now.
    assert abs((timezone.now() - entry.taken_at).total_seconds()) < 60


def test_a_refused_vitals_row_shows_the_error_on_its_field_and_saves_nothing(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    client.force_login(therapist)
    response = client.post(
        f"/sessions/dosing/{record.uuid}/vitals/quick/",
        _row(blood_pressure_systolic=400, spo2=""),
        **HTMX,
    )
    assert response.status_code == 422
    form = response.context["quick_vitals_form"]
    assert form.errors["blood_pressure_systolic"] == ["50-300: check the reading."]
    assert form.errors["spo2"] == ["Needed."]
    body = response.content.decode()
    assert 'id="id_quick-blood_pressure_systolic-error"' in body
    assert 'value="400"' in body  # the typed values stay for correction
    assert not VitalsEntry.objects.exists()


def test_without_htmx_the_row_falls_back_to_a_redirect(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    client.force_login(therapist)
    response = client.post(f"/sessions/dosing/{record.uuid}/vitals/quick/", _row())
    assert response.status_code == 302
    assert VitalsEntry.objects.count() == 1


def test_a_bp_rise_shows_an_alert_on_the_page_and_the_board_until_acknowledged(
    client: Client, record: DosingRecord, therapist: User, prescriber: User
) -> None:
    _started(record)
    client.force_login(therapist)
    saved = client.post(
        f"/sessions/dosing/{record.uuid}/vitals/quick/", _row(blood_pressure_systolic=165), **HTMX
    ).content.decode()
    assert "1 open alert" in saved
    assert "45 mmHg above baseline 120" in saved
    client.force_login(prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "1 open alert" in page
    assert f"/sessions/dosing/{record.uuid}/alerts/acknowledge/" in page
    location = record.appointment.location
    board = client.get(f"/sessions/locations/{location.uuid}/live/rows/").content.decode()
    assert "Systolic rise from baseline: 165/80" in board
    alert = VitalsAlert.objects.get()
    url = f"/sessions/dosing/{record.uuid}/alerts/acknowledge/"
    refused = client.post(url, {"action_taken": ""})
    assert refused.status_code == 400
    assert "Say what was done" in refused.content.decode()
    client.post(url, {"action_taken": "Repeated 150/82; observing"})
    alert.refresh_from_db()
    assert alert.acknowledged_by == prescriber
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "0 open alerts" in page
    assert "Repeated 150/82; observing" in page
    board = client.get(f"/sessions/locations/{location.uuid}/live/rows/").content.decode()
    assert "Systolic rise" not in board


def test_one_action_acknowledges_every_open_alert_of_the_session(
    client: Client, record: DosingRecord, therapist: User, prescriber: User
) -> None:
    _started(record)
    for systolic in (165, 170):
        dosing.vitals_record(
            record=record,
            taken_at=timezone.now(),
            blood_pressure_systolic=systolic,
            blood_pressure_diastolic=80,
            heart_rate=80,
            spo2=97,
            by=therapist,
        )
    client.force_login(prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "Acknowledge all 2" in page
    client.post(
        f"/sessions/dosing/{record.uuid}/alerts/acknowledge/", {"action_taken": "Prescriber in"}
    )
    assert set(VitalsAlert.objects.values_list("action_taken", flat=True)) == {"Prescriber in"}


def test_acknowledging_one_reading_closes_all_its_alerts(
    client: Client, record: DosingRecord, therapist: User, prescriber: User
) -> None:
    _started(record)
    dosing.vitals_record(
        record=record,
        taken_at=timezone.now(),
        blood_pressure_systolic=185,
        blood_pressure_diastolic=112,
        heart_rate=80,
        spo2=97,
        by=therapist,
    )
    assert VitalsAlert.objects.filter(acknowledged_at__isnull=True).count() == 4
    client.force_login(prescriber)
    first = VitalsAlert.objects.first()
    assert first is not None
    client.post(
        f"/sessions/dosing/{record.uuid}/alerts/{first.uuid}/acknowledge/",
        {"action_taken": "Labetalol given"},
    )
    assert not VitalsAlert.objects.filter(acknowledged_at__isnull=True).exists()


def test_the_live_header_is_polled_every_15_seconds(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert f'hx-get="/sessions/dosing/{record.uuid}/live/"' in page
    assert 'hx-trigger="every 15s"' in page
    assert "sticky-top" in page
    live = client.get(f"/sessions/dosing/{record.uuid}/live/")
    assert live.status_code == 200
    assert 'data-testid="since-dose"' in live.content.decode()
    assert "data-countdown=" in live.content.decode()


def test_after_discharge_nothing_reads_overdue(
    client: Client, record: DosingRecord, prescriber: User
) -> None:
    # The dose was 3 hours ago and no vitals were taken: every time is past.
    record.doses.update(started_at=timezone.now() - timedelta(hours=3))
    client.force_login(prescriber)
    assert "overdue" in client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    DosingRecord.objects.filter(id=record.id).update(
        status=DosingStatus.DISCHARGED, discharged_at=timezone.now()
    )
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "overdue" not in page
    assert "not taken" in page


def test_the_board_escalates_vitals_overdue_past_the_policy_delay(
    client: Client, record: DosingRecord, prescriber: User
) -> None:
    location = record.appointment.location
    client.force_login(prescriber)
    url = f"/sessions/locations/{location.uuid}/live/rows/"
    # Dosed 8 minutes ago, nothing taken: the vitals due at the dose are overdue (5-minute grace)
    # but not yet past the policy's 10-minute escalation.
    record.doses.update(started_at=timezone.now() - timedelta(minutes=8))
    body = client.get(url).content.decode()
    assert "overdue 8 min" in body
    assert 'data-testid="vitals-escalated"' not in body
    # Dosed 30 minutes ago, nothing taken: the first due time is 30 minutes late (> 10 policy).
    record.doses.update(started_at=timezone.now() - timedelta(minutes=30))
    assert 'data-testid="vitals-escalated"' in client.get(url).content.decode()


def test_the_chart_is_drawn_on_the_server_with_the_readings(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    for systolic in (122, 138):
        dosing.vitals_record(
            record=record,
            taken_at=timezone.now(),
            blood_pressure_systolic=systolic,
            blood_pressure_diastolic=80,
            heart_rate=90,
            spo2=97,
            by=therapist,
        )
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "Latest BP 138/80 mmHg, heart rate 90" in page
    assert "<polyline" in page
    assert "baseline +40" in page


def test_moaas_and_cadss_show_their_wording_and_cadss_is_marked_unverified(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    _started(record)
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "5 · Responds readily to name spoken in normal tone" in page
    assert "0 · No response after painful trapezius squeeze" in page
    assert "CADSS 15. Do you feel disconnected from your own body?" in page
    assert "unverified" in page


@pytest.mark.parametrize("count", [1, 30])
def test_the_dosing_page_holds_its_query_budget(
    client: Client,
    record: DosingRecord,
    therapist: User,
    prescriber: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    _started(record)
    start = timezone.now() - timedelta(minutes=count)
    VitalsEntry.objects.bulk_create(
        VitalsEntry(
            dosing_record=record,
            taken_at=start + timedelta(minutes=index),
            blood_pressure_systolic=125 + index % 50,
            blood_pressure_diastolic=80,
            heart_rate=75,
            spo2=97,
            recorded_by=therapist,
        )
        for index in range(count)
    )
    for entry in VitalsEntry.objects.filter(blood_pressure_systolic__gte=165):
        VitalsAlert.objects.create(
            dosing_record=record, vitals=entry, kind="systolic_rise", message="rise"
        )
    client.force_login(prescriber)
    # 46: one more, constant, for whether the location keeps the drug in the ledger (issue 16).
    with django_assert_max_num_queries(46):  # type: ignore[operator]
        response = client.get(f"/sessions/dosing/{record.uuid}/")
    assert response.status_code == 200
    assert len(response.context["vitals_entries"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_the_polled_header_holds_its_query_budget(
    client: Client,
    record: DosingRecord,
    therapist: User,
    count: int,
    django_assert_max_num_queries: object,
) -> None:
    _started(record)
    for index in range(count):
        entry = VitalsEntry.objects.create(
            dosing_record=record,
            taken_at=timezone.now() - timedelta(minutes=index),
            blood_pressure_systolic=170,
            blood_pressure_diastolic=80,
            heart_rate=75,
            spo2=97,
            recorded_by=therapist,
        )
        VitalsAlert.objects.create(
            dosing_record=record, vitals=entry, kind="systolic_rise", message="rise"
        )
    client.force_login(therapist)
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = client.get(f"/sessions/dosing/{record.uuid}/live/")
    assert len(response.context["open_alerts"]) == count
