"""The patient's portal home (issue 10, item 12): next session, questionnaires, My progress,
links, and My details changed with an audit row and shown to staff on the chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.details import patient_details_update
from intake.models import InstrumentResponse, Patient, PatientDetailsChange
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions.models import DosingPolicy, Readiness
from tests.factories import CourseFactory, IntegrationAppointmentFactory
from tests.intake.chart_data import chart_record

pytestmark = pytest.mark.django_db

DETAILS = {
    "mobile": "555-0100",
    "email": "new.address@example.test",
    "address": "1 Synthetic Way\nTestville",
    "emergency_contact_name": "Sam Example",
    "emergency_contact_relationship": "Sibling",
    "emergency_contact_phone": "555-0199",
    "reminder_channel": "sms",
    "time_zone": "America/Chicago",
}


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upcoming_dosing(patient: Patient, *, hours: int = 30) -> Any:
    course = CourseFactory(
        patient=patient, prescriber=patient.prescriber, therapist=patient.therapist
    )
    starts = timezone.now() + timedelta(hours=hours)
    return IntegrationAppointmentFactory(
        course=course,
        kind="dosing",
        status="booked",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )


# --- My details -----------------------------------------------------------------------------------


def test_a_patient_changes_their_details_and_the_change_is_audited_in_the_same_write(
    client: Client, patient: Patient, patient_user: User
) -> None:
    client.force_login(patient_user)
    response = client.post(reverse("intake:my_details"), DETAILS)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.mobile, patient.email, patient.reminder_channel, patient.time_zone) == (
        "555-0100",
        "new.address@example.test",
        "sms",
        "America/Chicago",
    )
    change = PatientDetailsChange.objects.get(patient=patient)
    assert change.changed_by == patient_user
    assert change.changes["mobile"][1] == "555-0100"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(patient.uuid))
    assert event.actor == patient_user
    assert event.detail.startswith("details changed by the patient: ")
    assert "555-0100" not in event.detail  # field names only, never the values
    # The search box finds the new phone number.
    patient.refresh_from_db()
    assert "5550100" in patient.search_text


def test_bad_details_re_render_with_the_field_message_and_save_nothing(
    client: Client, patient: Patient, patient_user: User
) -> None:
    client.force_login(patient_user)
    before = patient.email
    response = client.post(
        reverse("intake:my_details"), {**DETAILS, "email": "not an email", "mobile": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert "This field is required." in page
    patient.refresh_from_db()
    assert patient.email == before
    assert not PatientDetailsChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_saving_unchanged_details_records_nothing(patient: Patient, patient_user: User) -> None:
    same = {name: getattr(patient, name) for name in DETAILS}
    assert patient_details_update(patient=patient, by=patient_user, **same) is None
    assert not PatientDetailsChange.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_only_the_patient_changes_their_details_through_the_service(
    patient: Patient, other_patient: Patient, therapist: User
) -> None:
    from django.core.exceptions import PermissionDenied

    for someone in (therapist, other_patient.user):
        with pytest.raises(PermissionDenied):
            patient_details_update(patient=patient, by=someone, mobile="555-0123")
    assert not PatientDetailsChange.objects.exists()


def test_staff_cannot_open_the_patients_details_page(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("intake:my_details")).status_code == 403


def test_staff_see_the_change_on_the_chart_timeline_and_details(
    client: Client, patient: Patient, patient_user: User, front_desk: User, therapist: User
) -> None:
    old_mobile = patient.mobile
    patient_details_update(patient=patient, by=patient_user, mobile="555-0142")
    for staff in (front_desk, therapist):
        client.force_login(staff)
        overview = client.get(reverse("intake:patient_detail", args=[patient.uuid]))
        page = overview.content.decode()
        assert "Details changed by the patient" in page
        assert "Mobile phone" in page
        details = client.get(reverse("intake:chart_section", args=[patient.uuid, "details"]))
        page = details.content.decode()
        assert "Changed by the patient" in page
        assert "555-0142" in page
        assert f"was {old_mobile}" in page if old_mobile else "was empty" in page


# --- the portal home ------------------------------------------------------------------------------


def test_the_portal_home_shows_the_next_session_with_what_to_bring_and_the_readiness_form(
    client: Client, patient: Patient, patient_user: User
) -> None:
    appointment = _upcoming_dosing(patient)
    policy = DosingPolicy.current()
    client.force_login(patient_user)
    page = client.get(reverse("accounts:portal")).content.decode()
    assert "Your next session" in page
    assert "What to bring" in page
    assert "How to prepare" in page
    assert "No solid food after" in page
    assert policy.no_driving_text in page
    readiness_url = reverse("sessions:readiness_patient", args=[appointment.uuid])
    assert f'href="{readiness_url}"' in page
    assert "Fill in your readiness form" in page
    Readiness.objects.update_or_create(
        appointment=appointment, defaults={"patient_submitted_at": timezone.now()}
    )
    page = client.get(reverse("accounts:portal")).content.decode()
    assert "Fill in your readiness form" not in page
    assert "Readiness form done" in page


def test_my_progress_shows_the_patients_own_scores_with_bands_in_plain_words(
    client: Client, patient: Patient, patient_user: User, other_patient: Patient
) -> None:
    now = timezone.now()
    for days, total in ((20, 18), (3, 7)):
        InstrumentResponse.objects.create(
            patient=patient,
            instrument_key="phq9",
            instrument_version="test",
            answers={},
            total=total,
            band="x",
            band_label="x",
            recorded_at=now - timedelta(days=days),
        )
    InstrumentResponse.objects.create(
        patient=other_patient,
        instrument_key="gad7",
        instrument_version="test",
        answers={},
        total=19,
        band="x",
        band_label="x",
        recorded_at=now,
    )
    client.force_login(patient_user)
    page = client.get(reverse("accounts:portal")).content.decode()
    assert "My progress" in page
    assert "PHQ-9: how low or down you have felt" in page
    assert "Latest: <strong>7</strong> of 27, mild symptoms" in page
    assert "Down 11 since your first." in page
    assert "15–19: quite strong symptoms" in page
    assert "GAD-7" not in page  # another patient's scores never show


def test_the_portal_links_to_reflections_reading_messages_and_details(
    client: Client, patient: Patient, patient_user: User
) -> None:
    client.force_login(patient_user)
    page = client.get(reverse("accounts:portal")).content.decode()
    for name in (
        "integration:reflection_list",
        "notifications:library",
        "intake:my_threads",
        "intake:my_details",
    ):
        assert f'href="{reverse(name)}"' in page


def _portal_queries(client: Client, django_assert_max_num_queries: Any) -> int:
    client.get(reverse("accounts:portal"))  # warm the per-process caches
    with django_assert_max_num_queries(40) as counted:
        assert client.get(reverse("accounts:portal")).status_code == 200
    return len(counted.captured_queries)


def test_the_portal_home_keeps_its_query_count_with_1_and_many_rows(
    django_assert_max_num_queries: Any,
    patient: Patient,
    patient_user: User,
    other_patient: Patient,
) -> None:
    chart_record(patient, rows=1)
    _upcoming_dosing(patient)
    patient_details_update(patient=patient, by=patient_user, mobile="555-0101")
    one = _portal_queries(_signed_in(patient_user), django_assert_max_num_queries)
    busy: User = other_patient.user  # type: ignore[assignment]
    chart_record(other_patient, rows=30)
    for n in range(5):
        _upcoming_dosing(other_patient, hours=60 + 24 * n)
        patient_details_update(patient=other_patient, by=busy, mobile=f"555-02{n:02d}")
    many = _portal_queries(_signed_in(busy), django_assert_max_num_queries)
    assert many == one
