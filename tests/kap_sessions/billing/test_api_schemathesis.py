"""Schemathesis over the billing API with billing rows to serialize (the demo clinic has none):
each operation gets generated requests as each role, and every answer must be no server error
and match the schema. The whole-API test (tests/kap_clinic) fuzzes these operations too."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.demo import demo_seed
from sessions.billing import services
from sessions.billing.models import BillingCode, CodeSystem
from tests.factories import CourseFactory, IntegrationAppointmentFactory
from tests.kap_clinic.test_api_schemathesis import (
    CHECKS,
    _api_schema,
    _credentials,
    in_process_wsgi,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8


def _billing_rows() -> None:
    """The demo patient's session with the demo therapist: a posted and a proposed charge, an
    adjustment, a payment and a refund, and a diagnosis (so the superbill renders)."""
    desk = User.objects.get(email="frontdesk@kap.example.org")
    therapist = User.objects.get(email="therapist@kap.example.org")
    prescriber = User.objects.get(email="prescriber@kap.example.org")
    patient = Patient.objects.get(user__email="patient@kap.example.org")
    BillingCode.objects.filter(code__in=["90837", "90834"]).update(fee=Decimal("180"))
    course = CourseFactory(patient=patient, therapist=therapist, prescriber=prescriber)
    services.course_diagnosis_add(
        by=therapist, course=course, code=BillingCode.objects.filter(system=CodeSystem.ICD10)[0]
    )
    for minutes in (60, 45):
        appointment = IntegrationAppointmentFactory(course=course)
        appointment.ends_at = appointment.starts_at + timedelta(minutes=minutes)
        appointment.save(update_fields=["ends_at"])
        services.charges_propose(appointment=appointment, by=None)
    charge = course.patient.charges.order_by("id").first()
    assert charge is not None
    charge = services.charge_post(charge=charge, by=desk)
    services.charge_adjust(charge=charge, by=desk, amount=Decimal("-20"), reason="synthetic")
    payment = services.payment_record(
        by=desk, patient=patient, amount=Decimal("100"), method="cash"
    )
    services.refund_record(by=desk, payment=payment, amount=Decimal("10"), reason="synthetic")


@pytest.mark.parametrize("role", [Role.PATIENT, Role.FRONT_DESK, Role.THERAPIST, Role.CLINIC_ADMIN])
def test_the_billing_api_answers_generated_requests_as_its_schema_says(role: Role) -> None:
    demo_seed()
    _billing_rows()
    user = User.objects.filter(role=role, email__endswith="@kap.example.org").first()
    assert user is not None
    cookies, headers = _credentials(user)
    schema = _api_schema()
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/billing/")
    ]
    assert len(operations) == 12
    client = Client()
    client.force_login(user)
    known: dict[str, list[str]] = {}
    for prefix in ("charges", "payments", "accounts"):
        response = client.get(f"/api/v1/billing/{prefix}/", {"limit": 5})
        if response.status_code == 200:
            known[f"/api/v1/billing/{prefix}/"] = [
                row["uuid"] for row in response.json()["results"]
            ]
    if role != Role.THERAPIST:
        assert known["/api/v1/billing/accounts/"], "the fuzzing reaches real rows"
    failures: list[str] = []
    for operation in operations:
        uuids = known.get(operation.path.split("{uuid}")[0], [])

        @given(case=operation.as_strategy(), uuid=st.sampled_from([None, *uuids]))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, uuid: str | None) -> None:
            if uuid is not None and "uuid" in (case.path_parameters or {}):
                case.path_parameters["uuid"] = uuid
            try:
                case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)
            except BaseException as error:  # noqa: BLE001  collected, to report every failure
                failures.append(f"{case.method} {case.formatted_path}: {error}"[:2000])

        with in_process_wsgi():
            run()
    assert not failures, "\n\n".join(failures[:10])
