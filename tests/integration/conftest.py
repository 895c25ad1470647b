from __future__ import annotations

import pytest

from intake.models import Patient
from kap_clinic.accounts.models import User
from sessions.models import Appointment, Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory


@pytest.fixture
def course(patient: Patient, prescriber: User, therapist: User) -> Course:
    return CourseFactory(patient=patient, prescriber=prescriber, therapist=therapist)


@pytest.fixture
def integration_appointment(course: Course) -> Appointment:
    return IntegrationAppointmentFactory(course=course, kind="integration")
