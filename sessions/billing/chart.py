"""Billing's part of the chart (the Billing section), the patient's landing link, and the
warning before a course is booked for a self-pay patient without a Good Faith Estimate.

Every patient is self-pay here: the clinic submits no insurance claims (DESIGN.md, non-goals), so
under 45 CFR 149.610 each patient is a "self-pay individual" (uninsured, or not having a claim
submitted to their plan) and is owed an estimate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from kap_clinic.accounts.access import AuthenticatedRequest
from kap_clinic.accounts.landing import Panel, panel_register
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import ALL_STAFF, chart_section_register
from sessions.billing.models import EstimateStatus, GoodFaithEstimate
from sessions.billing.selectors import patient_account
from sessions.models import Course
from sessions.services import BookingWarning, course_booking_warnings_register

MANAGE = "kap_sessions.manage_billing"


def _billing_section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    return {"account": patient_account(patient=patient)}


def _can_manage_billing(patient: Any, user: User) -> bool:
    return user.has_perm(MANAGE)


def _no_estimate_warning(course: Course) -> list[BookingWarning]:
    if GoodFaithEstimate.objects.filter(course=course, status=EstimateStatus.ISSUED).exists():
        return []
    return [
        BookingWarning(
            text="No Good Faith Estimate has been given for this course. A self-pay patient "
            "must receive one before the course is booked (No Surprises Act, 45 CFR 149.610).",
            url=reverse("sessions:billing:course_estimate", args=[course.uuid]),
            link_label="Draw up the estimate",
        )
    ]


def _my_billing_panel(request: AuthenticatedRequest) -> dict[str, Any]:
    return {}  # a link only: the landing page keeps its query budget


def register() -> None:
    panel_register(
        Panel(
            key="billing.my_billing",
            title="Billing",
            template="kap_sessions/billing/panel_my_billing.html",
            roles=frozenset({Role.PATIENT}),
            context=_my_billing_panel,
            order=40,
        )
    )
    # Clinic admins and whoever holds the billing permission (front desk by default).
    chart_section_register(
        key="billing",
        title="Billing",
        roles=ALL_STAFF,
        template="kap_sessions/billing/chart_billing.html",
        context=_billing_section,
        order=85,
        allowed=_can_manage_billing,
    )
    course_booking_warnings_register("billing.good_faith_estimate", _no_estimate_warning)
