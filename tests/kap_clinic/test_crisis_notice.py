"""Where a patient writes, the page says it is not monitored in real time and shows the clinic's
crisis line and emergency number from the organisation's settings (issue 10, item 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from intake.models import Patient
from integration.measures import measure_token
from integration.models import MeasureOccasion, MeasureRequest
from kap_clinic.clinic.models import Organisation
from kap_clinic.crisis import crisis_contacts
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def _organisation(**values: str) -> Organisation:
    return Organisation.objects.create(
        id=1,
        legal_name="Synthetic KAP Clinic",
        address="1 Test Street",
        phone="555-0000",
        **values,
    )


def _writing_pages(patient: Patient) -> dict[str, str]:
    course = CourseFactory(
        patient=patient, prescriber=patient.prescriber, therapist=patient.therapist
    )
    starts = timezone.now() + timedelta(hours=30)
    dosing = IntegrationAppointmentFactory(
        course=course,
        kind="dosing",
        status="booked",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    measure = MeasureRequest.objects.create(
        patient=patient,
        course=course,
        instrument_key="phq9",
        occasion=MeasureOccasion.WEEKLY,
        due_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() + timedelta(days=3),
    )
    return {
        "messages": reverse("intake:my_threads"),
        "reflections": reverse("integration:reflection_list"),
        "questionnaire": reverse(
            "integration:measure_answer", kwargs={"token": measure_token(measure)}
        ),
        "readiness": reverse("sessions:readiness_patient", args=[dosing.uuid]),
        "intake": reverse("intake:intake_resume"),
    }


def test_every_page_where_a_patient_writes_shows_the_organisations_crisis_line(
    client: Client, patient: Patient
) -> None:
    _organisation(crisis_line="Text HOME to 741741", emergency_number="112")
    client.force_login(patient.user)
    for name, url in _writing_pages(patient).items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "not monitored in real time" in page, name
        assert "Text HOME to 741741" in page, name
        assert 'href="tel:112"' in page, name


@override_settings(CRISIS_LINE="116 123", EMERGENCY_NUMBER="999")
def test_without_an_organisation_or_its_emergency_number_the_settings_apply() -> None:
    assert crisis_contacts().crisis_line == "116 123"
    assert crisis_contacts().emergency_number == "999"
    _organisation(crisis_line="988")
    assert (crisis_contacts().crisis_line, crisis_contacts().emergency_number) == ("988", "999")


def test_the_emergency_number_is_set_on_the_organisation_page(
    client: Client, clinic_admin: object
) -> None:
    organisation = _organisation(crisis_line="988")
    client.force_login(clinic_admin)  # type: ignore[arg-type]
    page = client.get(reverse("clinic:organisation_edit")).content.decode()
    assert "Emergency number shown to patients" in page
    organisation.emergency_number = "000"
    organisation.save()
    assert crisis_contacts().emergency_number == "000"
