"""Good Faith Estimates: drawn up from the protocol and the fee schedule after the patient's
tier, given to the patient (page and PDF), acknowledged by the patient only, a warning before a
course is booked without one, and the chart's flag at the dispute threshold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.delivery import message_deliver
from kap_clinic.notifications.models import Message, MessageStatus
from sessions.billing import services
from sessions.billing.models import (
    BillingCode,
    BillingPolicy,
    Charge,
    EstimateStatus,
    GoodFaithEstimate,
    SlidingScaleTier,
)
from sessions.billing.selectors import estimates_versus_bills
from sessions.models import Course
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db

PSYCHOTHERAPY_FEE = Decimal("180.00")
MONITORING_FEE = Decimal("300.00")


@pytest.fixture
def fees() -> None:
    BillingCode.objects.filter(code="90837").update(fee=PSYCHOTHERAPY_FEE)
    BillingCode.objects.filter(code="0820T").update(fee=MONITORING_FEE)


@pytest.fixture
def course(fees: None, patient: Patient) -> Course:
    # An IV protocol: 6 doses of 150 min (0820T x 2 each: 2 h and 30 min < the 31-min midpoint),
    # 60-min preparation and integration sessions (90837).
    return CourseFactory(patient=patient)


def _url(estimate: GoodFaithEstimate, suffix: str = "") -> str:
    return f"/sessions/billing/estimates/{estimate.uuid}/{suffix}"


def test_estimate_lists_the_protocols_sessions_at_the_fee_schedule(
    course: Course, front_desk: User
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    items = {(item.appointment_kind, item.code.code): item for item in estimate.items.all()}
    assert set(items) == {
        ("preparation", "90837"),
        ("dosing", "0820T"),
        ("integration", "90837"),
    }
    assert items["dosing", "0820T"].sessions == 6
    assert items["dosing", "0820T"].units_per_session == 2
    assert items["dosing", "0820T"].amount == Decimal("3600.00")  # 6 x 2 x $300
    assert items["integration", "90837"].amount == Decimal("1080.00")  # 6 x $180
    assert items["preparation", "90837"].amount == Decimal("180.00")
    assert estimate.total == Decimal("4860.00")
    assert AuditEvent.objects.filter(
        action="create", object_id=str(estimate.uuid), detail__startswith="Good Faith Estimate"
    ).exists()


def test_estimate_applies_the_patients_sliding_scale_tier(
    course: Course, front_desk: User, patient: Patient
) -> None:
    tier = SlidingScaleTier.objects.create(name="Quarter off", discount_percent=Decimal("25"))
    services.patient_sliding_scale_set(
        by=front_desk,
        patient=patient,
        tier=tier,
        review_on=timezone.localdate() + timedelta(days=365),
        evidence="2025 tax return",
        reason="income below the line",
    )
    estimate = services.gfe_issue(course=course, by=front_desk)
    assert estimate.tier_name == "Quarter off"
    assert estimate.total == Decimal("3645.00")  # 4,860 less 25 %


def test_a_new_estimate_replaces_the_previous_one(course: Course, front_desk: User) -> None:
    first = services.gfe_issue(course=course, by=front_desk)
    BillingCode.objects.filter(code="90837").update(fee=Decimal("200"))
    second = services.gfe_issue(course=course, by=front_desk)
    first.refresh_from_db()
    assert first.status == EstimateStatus.REPLACED
    assert second.status == EstimateStatus.ISSUED
    assert second.total == Decimal("4860.00") + 7 * Decimal("20")


def test_estimate_is_refused_when_a_code_has_no_fee(patient: Patient, front_desk: User) -> None:
    BillingCode.objects.filter(code="90837").update(fee=PSYCHOTHERAPY_FEE)
    course = CourseFactory(patient=patient)  # 0820T has no fee
    with pytest.raises(ValidationError, match="Set a fee for 0820T"):
        services.gfe_issue(course=course, by=front_desk)
    assert not GoodFaithEstimate.objects.exists()


def test_estimate_is_refused_for_a_cancelled_course(course: Course, front_desk: User) -> None:
    course.status = "cancelled"
    course.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="planned or active course"):
        services.gfe_issue(course=course, by=front_desk)
    assert not GoodFaithEstimate.objects.exists()


@pytest.mark.parametrize(
    ("over", "flagged"),
    [
        (Decimal("399.99"), False),
        (Decimal("400.00"), True),  # "at least $400 more" (45 CFR 149.620): the edge flags
        (Decimal("400.01"), True),
    ],
)
def test_dispute_threshold_edges(over: Decimal, flagged: bool) -> None:
    threshold = BillingPolicy.current().gfe_dispute_threshold
    assert threshold == Decimal("400.00")
    estimated = Decimal("4860.00")
    assert (
        services.gfe_exceeded(billed=estimated + over, estimated=estimated, threshold=threshold)
        is flagged
    )


def _bill(course: Course, amount: Decimal) -> None:
    appointment = IntegrationAppointmentFactory(course=course)
    Charge.objects.create(
        patient=course.patient,
        appointment=appointment,
        code=BillingCode.objects.get(code="90837"),
        date_of_service=timezone.localdate(),
        unit_fee=amount,
        amount=amount,
        status="posted",
    )


@pytest.mark.parametrize(
    ("over", "flagged"),
    [(Decimal("399.99"), False), (Decimal("400.00"), True), (Decimal("400.01"), True)],
)
def test_chart_flags_bills_at_the_threshold_above_the_estimate(
    course: Course, front_desk: User, over: Decimal, flagged: bool
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    _bill(course, estimate.total)
    _bill(course, over)
    _bill(CourseFactory(patient=course.patient), Decimal("999"))  # another course: not counted
    (row,) = estimates_versus_bills(patient=course.patient)
    assert row.billed == estimate.total + over
    assert row.exceeded is flagged


def test_threshold_is_clinic_policy(course: Course, front_desk: User) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    _bill(course, estimate.total + Decimal("150"))
    assert estimates_versus_bills(patient=course.patient)[0].exceeded is False
    BillingPolicy.objects.filter(id=1).update(gfe_dispute_threshold=Decimal("150"))
    assert estimates_versus_bills(patient=course.patient)[0].exceeded is True


def test_billing_policy_refuses_a_negative_threshold(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    response = client.post(
        "/sessions/billing/policy/",
        {"gfe_dispute_threshold": "-400", "gfe_dispute_threshold_source": "45 CFR 149.620"},
    )
    assert response.status_code == 200
    assert "more than zero" in str(response.context["form"].errors["gfe_dispute_threshold"])
    assert BillingPolicy.current().gfe_dispute_threshold == Decimal("400.00")


# --- the patient's side ----------------------------------------------------------------------


def test_patient_sees_downloads_and_acknowledges_their_estimate(
    client: Client, course: Course, front_desk: User, patient_user: User
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    client.force_login(patient_user)
    response = client.get(_url(estimate))
    assert response.status_code == 200
    assert b"Total expected cost: $4860.00" in response.content
    assert b"I have received this estimate" in response.content
    pdf = client.get(_url(estimate, "pdf/"))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Good Faith Estimate" in text
    assert "4860.00" in text
    assert "0820T" in text
    assert "dispute" in text
    response = client.post(_url(estimate, "acknowledge/"))
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.acknowledged_by == patient_user
    assert estimate.acknowledged_at is not None
    assert AuditEvent.objects.filter(
        action="update", object_id=str(estimate.uuid), detail="Good Faith Estimate acknowledged"
    ).exists()
    assert AuditEvent.objects.filter(action="export", detail="Good Faith Estimate PDF").exists()


def test_acknowledging_someone_elses_estimate_is_404_and_changes_nothing(
    client: Client, course: Course, front_desk: User, other_patient: Patient
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    client.force_login(other_patient.user)
    assert client.get(_url(estimate)).status_code == 404
    assert client.get(_url(estimate, "pdf/")).status_code == 404
    assert client.post(_url(estimate, "acknowledge/")).status_code == 404
    estimate.refresh_from_db()
    assert estimate.acknowledged_at is None


def test_staff_cannot_acknowledge_for_the_patient(
    client: Client, course: Course, front_desk: User, therapist: User
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    client.force_login(front_desk)
    assert client.get(_url(estimate)).status_code == 200
    assert client.post(_url(estimate, "acknowledge/")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.gfe_acknowledge(estimate=estimate, by=front_desk)
    client.force_login(therapist)  # no billing permission
    assert client.get(_url(estimate)).status_code == 403
    estimate.refresh_from_db()
    assert estimate.acknowledged_at is None


def test_a_replaced_or_acknowledged_estimate_cannot_be_acknowledged_again(
    client: Client, course: Course, front_desk: User, patient_user: User
) -> None:
    first = services.gfe_issue(course=course, by=front_desk)
    second = services.gfe_issue(course=course, by=front_desk)
    with pytest.raises(ValidationError, match="replaced"):
        services.gfe_acknowledge(estimate=first, by=patient_user)
    services.gfe_acknowledge(estimate=second, by=patient_user)
    acknowledged_at = GoodFaithEstimate.objects.get(pk=second.pk).acknowledged_at
    client.force_login(patient_user)
    response = client.post(_url(second, "acknowledge/"), follow=True)
    assert b"already acknowledged" in response.content
    assert GoodFaithEstimate.objects.get(pk=second.pk).acknowledged_at == acknowledged_at


# --- staff pages -------------------------------------------------------------------------------


def test_front_desk_gives_the_estimate_from_the_course_page(
    client: Client, course: Course, front_desk: User
) -> None:
    client.force_login(front_desk)
    url = f"/sessions/billing/courses/{course.uuid}/estimate/"
    response = client.get(url)
    assert response.status_code == 200
    assert b"No estimate has been given" in response.content
    response = client.post(url)
    estimate = GoodFaithEstimate.objects.get()
    assert response["Location"] == _url(estimate)


def test_course_estimate_page_shows_why_it_cannot_be_given(
    client: Client, patient: Patient, front_desk: User, therapist: User, patient_user: User
) -> None:
    course = CourseFactory(patient=patient)  # no fees set
    client.force_login(front_desk)
    url = f"/sessions/billing/courses/{course.uuid}/estimate/"
    response = client.post(url, follow=True)
    assert b"Set a fee for 0820T, 90837" in response.content
    assert not GoodFaithEstimate.objects.exists()
    client.force_login(therapist)
    assert client.get(url).status_code == 403
    client.force_login(patient_user)
    assert client.get(url).status_code == 403


def test_plan_page_warns_when_the_course_has_no_estimate(
    client: Client, course: Course, front_desk: User
) -> None:
    client.force_login(front_desk)
    url = f"/sessions/courses/{course.uuid}/plan/"
    response = client.get(url)
    assert b"No Good Faith Estimate has been given for this course" in response.content
    assert f"/sessions/billing/courses/{course.uuid}/estimate/".encode() in response.content
    services.gfe_issue(course=course, by=front_desk)
    response = client.get(url)
    assert b"No Good Faith Estimate" not in response.content


def test_chart_billing_section_is_for_billing_staff_and_flags_a_booked_course(
    client: Client, course: Course, front_desk: User, therapist: User, clinic_admin: User
) -> None:
    course.status = "active"
    course.save(update_fields=["status"])
    url = f"/patients/{course.patient.uuid}/chart/billing/"
    client.force_login(front_desk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"was booked without a Good Faith Estimate" in response.content
    estimate = services.gfe_issue(course=course, by=front_desk)
    _bill(course, estimate.total + Decimal("400"))
    response = client.get(url)
    assert b"was booked without" not in response.content
    assert b"Over the estimate by $400.00" in response.content
    client.force_login(clinic_admin)
    assert client.get(url).status_code == 200
    client.force_login(therapist)
    assert client.get(url).status_code == 403


def test_chart_billing_queries_are_bounded(
    client: Client,
    course: Course,
    front_desk: User,
    django_assert_max_num_queries: object,
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    _bill(course, Decimal("10"))
    services.payment_record(
        by=front_desk, patient=course.patient, amount=Decimal("5"), method="cash"
    )
    url = f"/patients/{course.patient.uuid}/chart/billing/"
    client.force_login(front_desk)
    with django_assert_max_num_queries(40) as one:  # type: ignore[operator]
        assert client.get(url).status_code == 200
    for _ in range(10):
        other = CourseFactory(patient=course.patient)
        services.gfe_issue(course=other, by=front_desk)
        _bill(other, Decimal("10"))
        services.payment_record(
            by=front_desk, patient=course.patient, amount=Decimal("1"), method="cash"
        )
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        response = client.get(url)
    assert response.content.count(b"Receipt</a>") == 11
    assert estimate.uuid.hex[:8] in response.content.decode()


def test_estimate_page_queries_are_bounded(
    client: Client,
    course: Course,
    front_desk: User,
    patient_user: User,
    django_assert_max_num_queries: object,
) -> None:
    estimate = services.gfe_issue(course=course, by=front_desk)
    client.force_login(patient_user)
    with django_assert_max_num_queries(25) as one:  # type: ignore[operator]
        assert client.get(_url(estimate)).status_code == 200
    items = list(estimate.items.all())
    for _ in range(20):
        items[0].pk = None
        items[0].save()
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        response = client.get(_url(estimate))
    assert response.content.count(b"90837") == 22  # preparation + 20 copies + integration


def test_the_patient_is_told_the_estimate_is_on_the_portal_with_ids_only(
    course: Course, front_desk: User
) -> None:
    first = services.gfe_issue(course=course, by=front_desk)
    second = services.gfe_issue(course=course, by=front_desk)
    old, new = (
        Message.objects.get(refs={"estimate": str(first.uuid)}),
        Message.objects.get(refs={"estimate": str(second.uuid)}),
    )
    assert new.template_key == "sessions.billing_estimate_ready"
    assert message_deliver(message_id=old.id) != MessageStatus.SENT  # replaced: not sent
    assert message_deliver(message_id=new.id) == MessageStatus.SENT
    (email,) = mail.outbox
    assert f"/sessions/billing/estimates/{second.uuid}/" in email.body
    assert "$" not in email.body
