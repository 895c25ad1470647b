"""From "My day" and the appointment page to the note and the dosing record; back to the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from integration.models import Note, NoteTemplate
from kap_clinic.accounts.models import User
from sessions.models import Appointment, Course, DosingRecord
from sessions.selectors import local_day_bounds
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def _today(course: Course, n: int, **fields: object) -> Appointment:
    start, _ = local_day_bounds(timezone.localdate(), time_zone=settings.TIME_ZONE)
    starts_at = start + timedelta(hours=8, minutes=10 * n)
    return IntegrationAppointmentFactory(
        course=course, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=9), **fields
    )


def test_the_appointment_page_starts_the_note_from_its_kinds_template(
    client: Client, integration_appointment: Appointment, therapist: User
) -> None:
    template = NoteTemplate.objects.get(kind="integration", is_default=True)
    client.force_login(therapist)
    url = reverse("sessions:appointment_detail", args=[integration_appointment.uuid])
    page = client.get(url).content.decode()
    write = reverse("integration:appointment_note", args=[integration_appointment.uuid])
    assert "Write the note" in page
    assert f'action="{write}"' in page
    assert reverse("intake:patient_detail", args=[integration_appointment.patient.uuid]) in page
    response = client.post(write)
    note = Note.objects.get(appointment=integration_appointment, author=therapist)
    assert response.url == reverse("integration:note_detail", args=[note.uuid])
    assert note.template == template
    assert note.body == template.skeleton()
    page = client.get(url).content.decode()
    assert "Open my note (draft)" in page
    assert reverse("integration:note_detail", args=[note.uuid]) in page


def test_front_desk_gets_no_note_link(
    client: Client, integration_appointment: Appointment, front_desk: User
) -> None:
    client.force_login(front_desk)
    url = reverse("sessions:appointment_detail", args=[integration_appointment.uuid])
    assert "Write the note" not in client.get(url).content.decode()


def test_my_day_lists_my_sessions_today_with_one_click_links(
    client: Client, course: Course, therapist: User, prescriber: User
) -> None:
    integration = _today(course, 0, kind="integration", status="booked")
    dosing = _today(course, 6, kind="dosing", status="checked_in", medical_monitor=prescriber)
    record = DosingRecord.objects.create(appointment=dosing)
    yesterday = IntegrationAppointmentFactory(
        course=course, starts_at=timezone.now() - timedelta(days=2)
    )
    other = IntegrationAppointmentFactory(kind="integration")  # another therapist's session
    client.force_login(therapist)
    page = client.get(reverse("accounts:clinician")).content.decode()
    assert page.count('data-testid="my-day-row"') == 2
    assert reverse("integration:appointment_note", args=[integration.uuid]) in page
    assert reverse("sessions:dosing_record", args=[record.uuid]) in page
    assert reverse("sessions:appointment_detail", args=[yesterday.uuid]) not in page
    assert reverse("sessions:appointment_detail", args=[other.uuid]) not in page
    client.force_login(prescriber)
    page = client.get(reverse("accounts:clinician")).content.decode()
    assert page.count('data-testid="my-day-row"') == 1


@pytest.mark.parametrize("rows", [1, 50])
def test_my_day_keeps_its_query_count(
    client: Client,
    course: Course,
    therapist: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for n in range(rows):
        _today(course, n, kind="integration", status="booked")
    client.force_login(therapist)
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        page = client.get(reverse("accounts:clinician")).content.decode()
    assert page.count('data-testid="my-day-row"') == rows


@pytest.mark.parametrize(
    "url_of",
    [
        lambda a: reverse("sessions:appointment_detail", args=[a.uuid]),
        lambda a: reverse("sessions:course_detail", args=[a.course.uuid]),
        lambda a: reverse("sessions:patient_sessions", args=[a.patient.uuid]),
        lambda a: reverse("integration:appointment_note", args=[a.uuid]),
        lambda a: reverse("integration:patient_notes", args=[a.patient.uuid]),
        lambda a: reverse("integration:patient_trends", args=[a.patient.uuid]),
        lambda a: reverse("integration:course_integration", args=[a.course.uuid]),
        lambda a: reverse("integration:psychotherapy_note_list", args=[a.patient.uuid]),
    ],
)
def test_pages_about_a_patient_lead_back_to_the_chart(
    client: Client, integration_appointment: Appointment, therapist: User, url_of: object
) -> None:
    client.force_login(therapist)
    response = client.get(url_of(integration_appointment))  # type: ignore[operator]
    assert response.status_code == 200
    chart = reverse("intake:patient_detail", args=[integration_appointment.patient.uuid])
    assert f'href="{chart}"' in response.content.decode()


def test_the_note_page_leads_back_to_the_chart(
    client: Client, integration_appointment: Appointment, therapist: User, patient: Patient
) -> None:
    client.force_login(therapist)
    client.post(reverse("integration:appointment_note", args=[integration_appointment.uuid]))
    note = Note.objects.get(appointment=integration_appointment)
    page = client.get(reverse("integration:note_detail", args=[note.uuid])).content.decode()
    assert f'href="{reverse("intake:patient_detail", args=[patient.uuid])}"' in page
    assert reverse("intake:chart_section", args=[patient.uuid, "notes"]) in page
