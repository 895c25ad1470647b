import pytest

from intake.models import Patient
from kap_clinic.demo import demo_seed
from sessions.models import Appointment, AppointmentKind, Course

pytestmark = pytest.mark.django_db


def test_the_demo_books_a_course_for_the_cleared_patient_once() -> None:
    demo_seed()
    demo_seed()
    avery = Patient.objects.get(legal_first_name="Avery", legal_last_name="Patel")
    assert Course.objects.filter(patient=avery).count() == 1
    appointments = Appointment.objects.filter(patient=avery)
    assert appointments.filter(kind=AppointmentKind.PREPARATION).count() == 1
    assert appointments.filter(kind=AppointmentKind.DOSING).count() == 6
    assert appointments.filter(kind=AppointmentKind.INTEGRATION).count() == 6
