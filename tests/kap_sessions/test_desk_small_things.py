"""Small things that cost a desk time: a free slot books in one click, and the chart shows a
patient's no-show and late-cancellation rates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from sessions.chart import attendance
from sessions.models import Appointment, AppointmentKind, AppointmentStatus, Course, Location
from tests.factories import IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def test_a_free_slot_books_in_one_click(
    client: Client, cleared_patient: Patient, clinic: Location, room: object, front_desk: User
) -> None:
    client.force_login(front_desk)
    page = client.get(
        reverse("sessions:availability"),
        {
            "kind": AppointmentKind.INTEGRATION,
            "patient": cleared_patient.pk,
            "location": clinic.pk,
            "duration_minutes": 60,
        },
    ).content.decode()
    form = re.search(
        r'<form method="post"\s+action="([^"]+/appointments/new/)"[^>]*>(.*?)</form>', page, re.S
    )
    assert form is not None, page
    fields = dict(re.findall(r'name="([a-z_]+)"\s+value="([^"]*)"', form.group(2)))
    response = client.post(form.group(1), fields)
    assert response.status_code == 302, response.content.decode()
    appointment = Appointment.objects.get(patient=cleared_patient)
    assert appointment.kind == AppointmentKind.INTEGRATION
    assert appointment.starts_at > timezone.now()


def _appointment(course: Course, status: str, hours_from_now: float, **extra: object) -> None:
    start = timezone.now() + timedelta(hours=hours_from_now)
    IntegrationAppointmentFactory(
        course=course,
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        **extra,
    )


def test_the_chart_shows_no_show_and_late_cancellation_rates(
    client: Client, course: Course, front_desk: User
) -> None:
    now = timezone.now()
    _appointment(course, AppointmentStatus.COMPLETED, -300)
    _appointment(course, AppointmentStatus.NO_SHOW, -200)
    _appointment(course, AppointmentStatus.COMPLETED, -100)
    # Cancelled 2 hours before: late. Cancelled 5 days before: not counted at all.
    _appointment(
        course,
        AppointmentStatus.CANCELLED,
        -50,
        cancelled_at=now - timedelta(hours=52),
        cancel_reason="unwell",
    )
    _appointment(
        course,
        AppointmentStatus.CANCELLED,
        -20,
        cancelled_at=now - timedelta(hours=140),
        cancel_reason="moved away",
    )
    _appointment(course, AppointmentStatus.BOOKED, 30)  # still to come
    rates = attendance(list(Appointment.objects.filter(patient=course.patient)))
    assert (rates.due, rates.no_shows, rates.late_cancellations) == (4, 1, 1)
    client.force_login(front_desk)
    page = client.get(
        reverse("intake:chart_section", args=[course.patient.uuid, "sessions"])
    ).content.decode()
    assert "No-shows: 1 of 4 sessions due (25%)" in page
    assert "Late cancellations: 1 of 4 (25%)" in page
