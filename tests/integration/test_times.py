"""Times say their zone, show their date when not today, and never claim UTC when they are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from intake.models import InstrumentResponse, Patient
from integration import services
from kap_clinic.accounts.models import User
from kap_clinic.templatetags.clinic_time import when
from sessions.models import Appointment

pytestmark = pytest.mark.django_db


@override_settings(TIME_ZONE="America/New_York")
def test_a_time_today_shows_the_clock_and_zone_another_day_its_date() -> None:
    with timezone.override("America/New_York"):
        now = timezone.now()
        assert when(now) == f"{now.astimezone(timezone.get_current_timezone()):%H:%M %Z}"
        old = datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
        assert when(old) == "Thu 15 Jan 2026, 12:30 EST"
        assert when(old, "Europe/Paris") == "Thu 15 Jan 2026, 18:30 CET"
        assert when(None) == ""
        assert when(now - timedelta(days=3)).count(",") == 1


def test_a_signed_note_says_the_clinics_zone_not_utc(
    client: Client, integration_appointment: Appointment, therapist: User
) -> None:
    note = services.note_start(appointment=integration_appointment, by=therapist)
    services.note_draft_save(note=note, body="Themes", by=therapist)
    services.note_sign(note=note, by=therapist)
    client.force_login(therapist)
    page = client.get(reverse("integration:note_detail", args=[note.uuid])).content.decode()
    assert "Signed by" in page
    assert " UTC" not in page
    assert ("EST" in page) or ("EDT" in page)


def test_trend_axes_are_in_the_clinics_zone_for_staff_and_the_patients_own_for_them(
    client: Client, patient: Patient, therapist: User
) -> None:
    Patient.objects.filter(pk=patient.pk).update(time_zone="Europe/Paris")
    InstrumentResponse.objects.create(
        patient=patient,
        instrument_key="phq9",
        instrument_version="1",
        answers={},
        total=9,
        band="mild",
        band_label="Mild",
        recorded_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
    )
    url = reverse("integration:patient_trends", args=[patient.uuid])
    client.force_login(therapist)
    staff = client.get(url).content.decode()
    assert "America/New York" in staff
    assert "2026-03-01: 9" in staff  # 18:30 in New York
    client.force_login(patient.user)
    own = client.get(url).content.decode()
    assert "Europe/Paris" in own
    assert "2026-03-02: 9" in own  # 00:30 in Paris
