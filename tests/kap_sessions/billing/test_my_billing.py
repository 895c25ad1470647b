"""The patient's billing on the portal: their estimates, statement, receipts and superbill, and
"email me this superbill" through the outbox with ids only; never another patient's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.delivery import message_deliver
from kap_clinic.notifications.models import Message, MessageStatus
from sessions.billing import services
from sessions.billing.models import BillingCode, Charge, Payment
from sessions.models import Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

MY = "/sessions/billing/my/"
EMAIL = "/sessions/billing/my/superbill/email/"


@pytest.fixture
def billed(patient: Patient, front_desk: User) -> Course:
    BillingCode.objects.filter(code="90837").update(fee=Decimal("180"))
    BillingCode.objects.filter(code="0820T").update(fee=Decimal("300"))
    course = CourseFactory(patient=patient)
    services.course_diagnosis_add(
        by=course.therapist, course=course, code=BillingCode.objects.get(code="F33.1")
    )
    appointment = IntegrationAppointmentFactory(course=course)
    appointment.ends_at = appointment.starts_at + timedelta(minutes=60)
    appointment.save(update_fields=["ends_at"])
    charge = services.charges_propose(appointment=appointment, by=None)[0]
    services.charge_post(charge=charge, by=front_desk)
    services.payment_record(by=front_desk, patient=patient, amount=Decimal("80"), method="cash")
    services.gfe_issue(course=course, by=front_desk)
    return course


def test_patient_sees_their_estimates_receipts_and_balance(
    client: Client, billed: Course, patient_user: User
) -> None:
    client.force_login(patient_user)
    landing = client.get("/portal/")
    assert MY.encode() in landing.content
    response = client.get(MY)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Balance due: $100.00" in content
    estimate = billed.good_faith_estimates.get()
    assert f"/sessions/billing/estimates/{estimate.uuid}/" in content
    assert "please acknowledge" in content
    payment = Payment.objects.get()
    assert f"/sessions/billing/payments/{payment.uuid}/receipt/" in content
    assert f"/sessions/billing/patients/{billed.patient.uuid}/superbill/" in content
    assert AuditEvent.objects.filter(action="read", detail="own billing viewed").exists()


def test_another_patient_sees_none_of_it(
    client: Client, billed: Course, other_patient: Patient
) -> None:
    client.force_login(other_patient.user)
    response = client.get(MY)
    assert response.status_code == 200
    assert b"No estimates." in response.content
    assert b"No payments yet." in response.content
    assert b"Nothing owed." in response.content
    estimate = billed.good_faith_estimates.get()
    payment = Payment.objects.get()
    for url in (
        f"/sessions/billing/estimates/{estimate.uuid}/",
        f"/sessions/billing/estimates/{estimate.uuid}/pdf/",
        f"/sessions/billing/payments/{payment.uuid}/receipt/",
        f"/sessions/billing/patients/{billed.patient.uuid}/superbill/",
        f"/sessions/billing/patients/{billed.patient.uuid}/statement/",
    ):
        assert client.get(url).status_code == 404, url


def test_staff_do_not_open_the_patients_own_page(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    assert client.get(MY).status_code == 403
    assert client.post(EMAIL).status_code == 403


def test_email_me_this_superbill_goes_through_the_outbox_with_ids_only(
    client: Client, billed: Course, patient_user: User
) -> None:
    client.force_login(patient_user)
    response = client.post(EMAIL, {"start": "", "end": ""}, follow=True)
    assert b"Your superbill is on its way" in response.content
    message = Message.objects.get(template_key="sessions.billing_superbill")
    assert message.refs == {"patient": str(billed.patient.uuid), "start": "", "end": ""}
    assert message.channel == "email"
    assert message_deliver(message_id=message.id) == MessageStatus.SENT
    (email,) = mail.outbox
    assert email.to == [billed.patient.email]
    assert billed.patient.legal_last_name not in email.subject + email.body
    ((filename, content, mimetype),) = email.attachments
    assert (filename, mimetype) == ("superbill.pdf", "application/pdf")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)
    assert "Superbill" in text
    assert "90837" in text
    assert "F33.1" in text
    assert AuditEvent.objects.filter(
        action="export", detail="superbill emailed on request"
    ).exists()


def test_email_is_refused_without_a_superbill_and_nothing_is_queued(
    client: Client, patient: Patient, patient_user: User
) -> None:
    client.force_login(patient_user)
    response = client.post(EMAIL, {"start": "", "end": ""}, follow=True)
    assert b"A superbill needs a diagnosis" in response.content
    assert not Message.objects.filter(template_key="sessions.billing_superbill").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "not a date"}, b"YYYY-MM-DD"),
        ({"start": "2026-12-31", "end": "2026-01-01"}, b"ends before it starts"),
    ],
)
def test_email_with_a_bad_period_is_refused(
    client: Client, billed: Course, patient_user: User, data: dict[str, str], message: bytes
) -> None:
    client.force_login(patient_user)
    response = client.post(EMAIL, data, follow=True)
    assert message in response.content
    assert not Message.objects.filter(template_key="sessions.billing_superbill").exists()


def test_my_billing_queries_are_bounded(
    client: Client,
    billed: Course,
    patient_user: User,
    front_desk: User,
    django_assert_max_num_queries: object,
) -> None:
    client.force_login(patient_user)
    with django_assert_max_num_queries(20) as one:  # type: ignore[operator]
        assert client.get(MY).status_code == 200
    charge = Charge.objects.filter(status="posted").first()
    assert charge is not None
    for _ in range(15):
        other = CourseFactory(patient=billed.patient)
        services.gfe_issue(course=other, by=front_desk)
        Payment.objects.create(
            patient=billed.patient, method="cash", amount=Decimal("1"), received_by=front_desk
        )
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        response = client.get(MY)
    assert response.content.count(b"Receipt</a>") == 16
    assert response.content.count(b">PDF</a>") == 16


def test_the_portal_download_saves_the_superbill_as_a_file(
    client: Client, billed: Course, patient_user: User
) -> None:
    client.force_login(patient_user)
    url = f"/sessions/billing/patients/{billed.patient.uuid}/superbill/"
    assert client.get(url)["Content-Disposition"].startswith("inline")
    response = client.get(url, {"download": "1", "start": "", "end": ""})
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")
