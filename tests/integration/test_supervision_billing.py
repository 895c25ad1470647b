"""Issue #19, item 6: a trainee's session is billed under the supervisor in force on its date."""

from __future__ import annotations

import ast
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from intake.models import Patient
from integration.supervision import services as supervision
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.models import StaffProfile, SupervisionStatus
from sessions.billing import services as billing
from sessions.billing.models import BillingCode
from sessions.models import Appointment, Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(patient: Patient) -> Course:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    course = CourseFactory(patient=patient)
    trainee = course.therapist
    trainee.full_name = "Trainee Therapist"
    trainee.save(update_fields=["full_name"])
    StaffProfile.objects.update_or_create(
        user=trainee, defaults={"supervision_status": SupervisionStatus.TRAINEE}
    )
    return course


@pytest.fixture
def supervisor(course: Course, clinic_admin: User) -> User:
    supervisor = UserFactory(role=Role.THERAPIST, full_name="Supervising Psychologist")
    StaffProfile.objects.create(user=supervisor, npi="1245319599")
    supervision.relationship_create(
        supervisee=course.therapist,
        supervisor=supervisor,
        kind="pre_licensure",
        mode="cosign",
        starts_on=timezone.localdate() - timedelta(days=30),
        by=clinic_admin,
    )
    return supervisor


def _session(course: Course, *, days_ago: int = 0) -> Appointment:
    """A completed 60-minute session a given number of days ago (the factory's own times move
    back with every appointment the test session has made, so they are set here)."""
    starts_at = timezone.now() - timedelta(days=days_ago, hours=2)
    return IntegrationAppointmentFactory(
        course=course, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=60)
    )


def test_a_trainees_charge_names_the_supervisor_as_rendering_provider(
    course: Course, supervisor: User
) -> None:
    (charge,) = billing.charges_propose(appointment=_session(course), by=None)
    assert charge.code.code == "90837"
    assert charge.rendering_provider == supervisor
    assert charge.rendered_under_supervision_by == course.therapist


def test_a_licensed_clinicians_charge_names_them_alone(course: Course) -> None:
    StaffProfile.objects.filter(user=course.therapist).update(
        supervision_status=SupervisionStatus.LICENSED
    )
    (charge,) = billing.charges_propose(appointment=_session(course), by=None)
    assert charge.rendering_provider == course.therapist
    assert charge.rendered_under_supervision_by is None


def test_the_supervisor_in_force_on_the_date_of_service_is_billed(
    course: Course, clinic_admin: User
) -> None:
    """A session before today's relationship began is billed under the earlier supervisor."""
    earlier = UserFactory(role=Role.THERAPIST)
    later = UserFactory(role=Role.THERAPIST)
    today = timezone.localdate()
    for supervisor, starts_on, ends_on in (
        (earlier, today - timedelta(days=60), today - timedelta(days=10)),
        (later, today - timedelta(days=9), None),
    ):
        supervision.relationship_create(
            supervisee=course.therapist,
            supervisor=supervisor,
            kind="practicum",
            mode="cosign",
            starts_on=starts_on,
            ends_on=ends_on,
            by=clinic_admin,
        )
    old_session = _session(course, days_ago=20)
    (old_charge,) = billing.charges_propose(appointment=old_session, by=None)
    (new_charge,) = billing.charges_propose(appointment=_session(course), by=None)
    assert old_charge.rendering_provider == earlier
    assert new_charge.rendering_provider == later
    assert {old_charge.rendered_under_supervision_by, new_charge.rendered_under_supervision_by} == {
        course.therapist
    }


def test_the_superbill_names_the_supervisor_with_npi_and_the_trainee_under_supervision(
    course: Course, supervisor: User, patient_user: User, front_desk: User, clinic_admin: User
) -> None:
    (charge,) = billing.charges_propose(appointment=_session(course), by=None)
    billing.charge_post(charge=charge, by=front_desk)
    billing.course_diagnosis_add(
        by=clinic_admin, course=course, code=BillingCode.objects.get(code="F33.1")
    )
    client = Client()
    client.force_login(patient_user)
    response = client.get(f"/sessions/billing/patients/{course.patient.uuid}/superbill/")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    rendering = text.split("Rendering provider", 1)[1].split("Patient", 1)[0]
    assert "Supervising Psychologist" in rendering
    assert "NPI: 1245319599" in rendering
    assert "Trainee Therapist" not in rendering
    assert (
        "Rendered by Trainee Therapist (trainee) under the supervision of Supervising Psychologist"
        in text
    )


def test_billing_does_not_import_integration() -> None:
    """The resolver is registered from integration's AppConfig; billing never imports upward."""
    billing_dir = Path(settings.BASE_DIR) / "sessions" / "billing"
    for source in billing_dir.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("integration"), source.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("integration") for a in node.names), source.name


def test_before_the_relationship_starts_no_one_supervises(course: Course, supervisor: User) -> None:
    today = timezone.localdate()
    assert supervision.supervisor_in_force(clinician=course.therapist, on=today) == supervisor
    assert supervision.supervisor_in_force(clinician=course.therapist, on=date(2000, 1, 1)) is None
