"""Billing pages: the code catalogue, fee defaults and sliding scale (set-up), and a course's
diagnoses. Views audit reads; the services audit writes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from intake.models import Patient
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.records import record_form, record_list
from kap_clinic.clinic.selectors import organisation_get
from kap_clinic.pdf import pdf_response
from sessions.billing import services
from sessions.billing.forms import (
    BillingCodeForm,
    BillingPolicyForm,
    ChargeAdjustForm,
    CourseDiagnosisForm,
    FeeDefaultForm,
    PatientSlidingScaleForm,
    PaymentForm,
    SlidingScalePolicyForm,
    SlidingScaleTierForm,
    SuperbillPeriodForm,
)
from sessions.billing.messaging import superbill_email_request
from sessions.billing.models import (
    BillingCode,
    BillingPolicy,
    Charge,
    ChargeStatus,
    CourseDiagnosis,
    EstimateStatus,
    FeeDefault,
    GoodFaithEstimate,
    PatientSlidingScale,
    Payment,
    PostedChargeError,
    SlidingScalePolicy,
    SlidingScaleTier,
)
from sessions.billing.selectors import superbill_for
from sessions.models import Appointment, Course

MANAGE = "kap_sessions.manage_billing"


def _money(value: Any) -> str:
    return "" if value is None else f"${value:,.2f}"


@permission_required(MANAGE)
def code_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Billing codes",
        intro="Procedure codes with their fees and time rules, modifiers, places of service and "
        "diagnoses. Verify them against the current code books.",
        queryset=BillingCode.objects.all(),
        columns=[
            ("Code", lambda code: code.code),
            ("Kind", lambda code: code.get_system_display()),
            ("Description", lambda code: code.description),
            ("Fee", lambda code: _money(code.fee)),
            (
                "Time rule",
                lambda code: (
                    ""
                    if code.min_minutes is None
                    else f"{code.min_minutes}–{code.max_minutes or ''} min"
                ),
            ),
            ("In use", lambda code: "Yes" if code.is_active else "No"),
        ],
        edit_url=lambda code: reverse("sessions:billing:code_edit", args=[code.uuid]),
        create_url=reverse("sessions:billing:code_create"),
        create_label="Add a code",
    )


@permission_required(MANAGE)
def code_create(request: AuthenticatedRequest) -> HttpResponse:
    return _code_form(request, None)


@permission_required(MANAGE)
def code_edit(request: AuthenticatedRequest, code_uuid: UUID) -> HttpResponse:
    return _code_form(request, get_object_or_404(BillingCode, uuid=code_uuid))


def _code_form(request: AuthenticatedRequest, code: BillingCode | None) -> HttpResponse:
    back = reverse("sessions:billing:code_list")
    return record_form(
        request,
        form_class=BillingCodeForm,
        instance=code,
        title=f"Edit {code.code}" if code else "New billing code",
        what="billing code",
        back_url=back,
        back_label="Billing codes",
        done_url=back,
    )


@permission_required(MANAGE)
def fee_default_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Default charges",
        intro="The code each kind of appointment is billed with, for every protocol or one only.",
        queryset=FeeDefault.objects.select_related("code", "protocol"),
        columns=[
            ("Appointment kind", lambda row: row.appointment_kind.replace("_", " ").capitalize()),
            ("Protocol", lambda row: row.protocol.name if row.protocol else "Any"),
            ("Code", lambda row: row.code.code),
            ("Units", lambda row: row.units),
            ("Fee", lambda row: _money(row.code.fee)),
        ],
        edit_url=lambda row: reverse("sessions:billing:fee_default_edit", args=[row.pk]),
        create_url=reverse("sessions:billing:fee_default_create"),
        create_label="Add a default charge",
    )


@permission_required(MANAGE)
def fee_default_create(request: AuthenticatedRequest) -> HttpResponse:
    return _fee_default_form(request, None)


@permission_required(MANAGE)
def fee_default_edit(request: AuthenticatedRequest, default_id: int) -> HttpResponse:
    return _fee_default_form(request, get_object_or_404(FeeDefault, pk=default_id))


def _fee_default_form(request: AuthenticatedRequest, row: FeeDefault | None) -> HttpResponse:
    back = reverse("sessions:billing:fee_default_list")
    return record_form(
        request,
        form_class=FeeDefaultForm,
        instance=row,
        title="Edit default charge" if row else "New default charge",
        what="default charge",
        back_url=back,
        back_label="Default charges",
        done_url=back,
    )


@permission_required(MANAGE)
def tier_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Sliding-scale tiers",
        intro="Discount tiers: by household income against the income line for the household's "
        "size, or a plain percentage granted by staff.",
        queryset=SlidingScaleTier.objects.all(),
        columns=[
            ("Tier", lambda tier: tier.name),
            ("Discount", lambda tier: f"{tier.discount_percent}%"),
            (
                "Income up to",
                lambda tier: (
                    "Granted by staff"
                    if tier.max_income_percent is None
                    else f"{tier.max_income_percent}% of the income line"
                ),
            ),
            ("In use", lambda tier: "Yes" if tier.is_active else "No"),
        ],
        edit_url=lambda tier: reverse("sessions:billing:tier_edit", args=[tier.uuid]),
        create_url=reverse("sessions:billing:tier_create"),
        create_label="Add a tier",
    )


@permission_required(MANAGE)
def tier_create(request: AuthenticatedRequest) -> HttpResponse:
    return _tier_form(request, None)


@permission_required(MANAGE)
def tier_edit(request: AuthenticatedRequest, tier_uuid: UUID) -> HttpResponse:
    return _tier_form(request, get_object_or_404(SlidingScaleTier, uuid=tier_uuid))


def _tier_form(request: AuthenticatedRequest, tier: SlidingScaleTier | None) -> HttpResponse:
    back = reverse("sessions:billing:tier_list")
    return record_form(
        request,
        form_class=SlidingScaleTierForm,
        instance=tier,
        title=f"Edit {tier.name}" if tier else "New sliding-scale tier",
        what="sliding-scale tier",
        back_url=back,
        back_label="Sliding-scale tiers",
        done_url=back,
    )


@permission_required(MANAGE)
def policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    back = reverse("sessions:billing:tier_list")
    return record_form(
        request,
        form_class=SlidingScalePolicyForm,
        instance=SlidingScalePolicy.objects.first(),
        title="Sliding-scale income line",
        what="sliding-scale income line",
        back_url=back,
        back_label="Sliding-scale tiers",
        done_url=back,
    )


def _course_for_diagnoses(request: AuthenticatedRequest, course_uuid: UUID) -> Course:
    """Billing managers and the course's own clinicians; everyone else 404 (patients) or 403."""
    course = get_object_or_404(Course.objects.select_related("patient"), uuid=course_uuid)
    user = request.user
    if user.has_perm(MANAGE):
        return course
    if user.role in (Role.PRESCRIBER, Role.THERAPIST) and user.pk in (
        course.prescriber_id,
        course.therapist_id,
    ):
        return course
    if user.role == Role.PATIENT:
        raise Http404  # patients never learn another's course exists
    raise PermissionDenied


@login_required
def course_diagnoses(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    course = _course_for_diagnoses(request, course_uuid)
    form = CourseDiagnosisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_diagnosis_add(
                by=request.user,
                course=course,
                code=form.cleaned_data["code"],
                is_primary=form.cleaned_data["is_primary"],
            )
        except ValidationError as error:
            form.add_error("code", error.message_dict.get("code", error.messages))
        else:
            messages.success(request, "Diagnosis added.")
            return redirect("sessions:billing:course_diagnoses", course_uuid=course.uuid)
    diagnoses = CourseDiagnosis.objects.filter(course=course).select_related("code")
    if request.method == "GET":
        audit_record(
            action=AuditAction.READ, request=request, obj=course, detail="course diagnoses viewed"
        )
    return render(
        request,
        "kap_sessions/billing/course_diagnoses.html",
        {"course": course, "diagnoses": diagnoses, "form": form},
    )


@login_required
@require_POST
def course_diagnosis_remove(
    request: AuthenticatedRequest, course_uuid: UUID, diagnosis_id: int
) -> HttpResponse:
    course = _course_for_diagnoses(request, course_uuid)
    diagnosis = get_object_or_404(CourseDiagnosis, pk=diagnosis_id, course=course)
    services.course_diagnosis_remove(by=request.user, diagnosis=diagnosis)
    messages.success(request, "Diagnosis removed.")
    return redirect("sessions:billing:course_diagnoses", course_uuid=course.uuid)


# ------------------------------------------------------------------------------------------------
# An appointment's charges


def _appointment_for_charges(request: AuthenticatedRequest, appointment_uuid: UUID) -> Appointment:
    """Billing managers; the session's own clinicians (read only); patients 404; others 403."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "course"), uuid=appointment_uuid
    )
    user = request.user
    if user.has_perm(MANAGE):
        return appointment
    own = {appointment.therapist_id, appointment.medical_monitor_id}
    if appointment.course is not None:
        own |= {appointment.course.prescriber_id, appointment.course.therapist_id}
    if user.role in (Role.PRESCRIBER, Role.THERAPIST) and user.pk in own:
        return appointment
    if user.role == Role.PATIENT:
        raise Http404
    raise PermissionDenied


@login_required
def appointment_charges(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    appointment = _appointment_for_charges(request, appointment_uuid)
    charges = (
        Charge.objects.filter(appointment=appointment)
        .exclude(status=ChargeStatus.DISCARDED)
        .select_related("code", "adjusts")
        .order_by("id")
    )
    audit_record(action=AuditAction.READ, request=request, obj=appointment, detail="charges viewed")
    return render(
        request,
        "kap_sessions/billing/appointment_charges.html",
        {
            "appointment": appointment,
            "charges": charges,
            "can_manage": request.user.has_perm(MANAGE),
            "adjust_form": ChargeAdjustForm(),
        },
    )


@permission_required(MANAGE)
@require_POST
def charge_action(request: AuthenticatedRequest, charge_uuid: UUID, action: str) -> HttpResponse:
    charge = get_object_or_404(Charge.objects.select_related("appointment"), uuid=charge_uuid)
    back = (
        reverse("sessions:billing:appointment_charges", args=[charge.appointment.uuid])
        if charge.appointment
        else reverse("sessions:billing:code_list")
    )
    try:
        if action == "post":
            services.charge_post(charge=charge, by=request.user)
            messages.success(request, f"{charge.code.code} posted.")
        elif action == "discard":
            services.charge_discard(charge=charge, by=request.user)
            messages.success(request, f"{charge.code.code} discarded.")
        elif action == "adjust":
            form = ChargeAdjustForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Enter the adjustment amount and its reason.")
                return redirect(back)
            services.charge_adjust(
                charge=charge,
                by=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"{charge.code.code} adjusted.")
        else:
            raise Http404
    except (ValidationError, PostedChargeError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    return redirect(back)


# ------------------------------------------------------------------------------------------------
# Statements, payments and receipts


def _patient_for_money(request: AuthenticatedRequest, patient_uuid: UUID) -> Patient:
    """Billing managers see every patient's account; a patient only their own; else 404/403."""
    patient = get_object_or_404(Patient, uuid=patient_uuid)
    user = request.user
    if user.has_perm(MANAGE):
        return patient
    if user.role == Role.PATIENT:
        if patient.user_id != user.pk:
            raise Http404
        return patient
    raise PermissionDenied


@login_required
def statement(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = _patient_for_money(request, patient_uuid)
    charges = (
        Charge.objects.filter(patient=patient, status=ChargeStatus.POSTED)
        .select_related("code")
        .order_by("date_of_service", "id")
    )
    payments = Payment.objects.filter(patient=patient).order_by("received_at", "id")
    can_manage = request.user.has_perm(MANAGE)
    form = PaymentForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                payment = services.payment_record(
                    by=request.user, patient=patient, **form.cleaned_data
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Payment of ${payment.amount} recorded.")
                return redirect("sessions:billing:statement", patient_uuid=patient.uuid)
    else:
        audit_record(
            action=AuditAction.READ, request=request, obj=patient, detail="statement viewed"
        )
    return render(
        request,
        "kap_sessions/billing/statement.html",
        {
            "patient": patient,
            "charges": charges,
            "payments": payments,
            "balance": services.patient_balance(patient),
            "form": form,
        },
    )


@login_required
def receipt(request: AuthenticatedRequest, payment_uuid: UUID) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("patient", "received_by"), uuid=payment_uuid
    )
    _patient_for_money(request, payment.patient.uuid)
    allocations = payment.allocations.select_related("charge__code")
    audit_record(action=AuditAction.READ, request=request, obj=payment, detail="receipt viewed")
    return render(
        request,
        "kap_sessions/billing/receipt.html",
        {"payment": payment, "allocations": allocations, "organisation": organisation_get()},
    )


@login_required
def superbill_pdf(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = _patient_for_money(request, patient_uuid)
    form = SuperbillPeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        bill = superbill_for(patient=patient, start=start, end=end)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sessions:billing:statement", patient_uuid=patient.uuid)
    audit_record(action=AuditAction.EXPORT, request=request, obj=patient, detail="superbill PDF")
    filename = f"superbill-{patient.mrn}.pdf"
    response = pdf_response(
        request,
        "kap_sessions/pdf/superbill.html",
        {"bill": bill, "patient": patient},
        filename=filename,
    )
    if request.GET.get("download"):  # the portal's "Download" saves the file (phones)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------------------------------------
# Good Faith Estimates


@permission_required(MANAGE)
def billing_policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    back = reverse("sessions:billing:tier_list")
    return record_form(
        request,
        form_class=BillingPolicyForm,
        instance=BillingPolicy.current(),
        title="Billing policy",
        what="billing policy",
        back_url=back,
        back_label="Sliding-scale tiers",
        done_url=back,
    )


@permission_required(MANAGE)
def course_estimate(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """Staff see the course's estimate (or what it would say) and give it to the patient."""
    course = get_object_or_404(
        Course.objects.select_related("patient", "protocol", "location"), uuid=course_uuid
    )
    if request.method == "POST":
        try:
            estimate = services.gfe_issue(course=course, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("sessions:billing:course_estimate", course_uuid=course.uuid)
        messages.success(
            request, f"Good Faith Estimate of ${estimate.total:,.2f} given to the patient."
        )
        return redirect("sessions:billing:estimate_detail", estimate_uuid=estimate.uuid)
    current = (
        GoodFaithEstimate.objects.filter(course=course, status=EstimateStatus.ISSUED)
        .prefetch_related("items")
        .first()
    )
    audit_record(
        action=AuditAction.READ, request=request, obj=course, detail="Good Faith Estimate viewed"
    )
    lines = services.estimate_lines(course)
    return render(
        request,
        "kap_sessions/billing/course_estimate.html",
        {
            "course": course,
            "patient": course.patient,
            "current": current,
            "lines": lines,
            "tier": services.patient_tier(course.patient),
        },
    )


def _estimate_for(request: AuthenticatedRequest, estimate_uuid: UUID) -> GoodFaithEstimate:
    """Billing managers; the patient themself; other patients 404; other staff 403."""
    estimate = get_object_or_404(
        GoodFaithEstimate.objects.select_related(
            "patient", "course__protocol", "course__location", "issued_by", "acknowledged_by"
        ),
        uuid=estimate_uuid,
    )
    _patient_for_money(request, estimate.patient.uuid)
    return estimate


def _estimate_context(estimate: GoodFaithEstimate) -> dict[str, Any]:
    return {
        "estimate": estimate,
        "patient": estimate.patient,
        "items": estimate.items.select_related("code"),
        "organisation": organisation_get(),
        "diagnoses": CourseDiagnosis.objects.filter(course=estimate.course).select_related("code"),
        "policy": BillingPolicy.current(),
    }


@login_required
def estimate_detail(request: AuthenticatedRequest, estimate_uuid: UUID) -> HttpResponse:
    estimate = _estimate_for(request, estimate_uuid)
    audit_record(
        action=AuditAction.READ, request=request, obj=estimate, detail="Good Faith Estimate viewed"
    )
    return render(
        request,
        "kap_sessions/billing/estimate_detail.html",
        {
            **_estimate_context(estimate),
            "is_patient": request.user.role == Role.PATIENT,
        },
    )


@login_required
def estimate_pdf(request: AuthenticatedRequest, estimate_uuid: UUID) -> HttpResponse:
    estimate = _estimate_for(request, estimate_uuid)
    audit_record(
        action=AuditAction.EXPORT, request=request, obj=estimate, detail="Good Faith Estimate PDF"
    )
    return pdf_response(
        request,
        "kap_sessions/pdf/good_faith_estimate.html",
        _estimate_context(estimate),
        filename=f"good-faith-estimate-{estimate.patient.mrn}.pdf",
    )


@login_required
@require_POST
def estimate_acknowledge(request: AuthenticatedRequest, estimate_uuid: UUID) -> HttpResponse:
    """The patient acknowledges their estimate; staff cannot do it for them (403)."""
    estimate = _estimate_for(request, estimate_uuid)
    if request.user.role != Role.PATIENT:
        raise PermissionDenied
    try:
        services.gfe_acknowledge(estimate=estimate, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank you: you have acknowledged the estimate.")
    return redirect("sessions:billing:estimate_detail", estimate_uuid=estimate.uuid)


# ------------------------------------------------------------------------------------------------
# A patient's sliding-scale tier


@permission_required(MANAGE)
def patient_sliding_scale(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """The patient's tier with its review date and evidence, its history, and a form to set it."""
    patient = get_object_or_404(Patient, uuid=patient_uuid)
    form = PatientSlidingScaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_sliding_scale_set(
                by=request.user, patient=patient, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Sliding-scale tier set.")
            return redirect("sessions:billing:patient_sliding_scale", patient_uuid=patient.uuid)
    if request.method == "GET":
        audit_record(
            action=AuditAction.READ, request=request, obj=patient, detail="sliding scale viewed"
        )
    history = list(
        PatientSlidingScale.objects.filter(patient=patient).select_related("tier", "set_by")
    )
    current = history[0] if history else None
    return render(
        request,
        "kap_sessions/billing/patient_sliding_scale.html",
        {
            "patient": patient,
            "current": current,
            "overdue": services.sliding_scale_review_overdue(current),
            "history": history,
            "form": form,
        },
    )


# ------------------------------------------------------------------------------------------------
# The patient's own billing on the portal


def _own_patient(request: AuthenticatedRequest) -> Patient:
    return get_object_or_404(Patient, user=request.user)


@role_required(Role.PATIENT)
def my_billing(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's estimates, statement, receipts and superbill, theirs only."""
    patient = _own_patient(request)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="own billing viewed")
    return render(
        request,
        "kap_sessions/billing/my_billing.html",
        {
            "patient": patient,
            "estimates": GoodFaithEstimate.objects.filter(patient=patient)
            .select_related("course__protocol")
            .order_by("-issued_at", "-id"),
            "payments": Payment.objects.filter(patient=patient).order_by("-received_at", "-id"),
            "balance": services.patient_balance(patient),
            "period_form": SuperbillPeriodForm(),
        },
    )


@role_required(Role.PATIENT)
@require_POST
def my_superbill_email(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    form = SuperbillPeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the period's dates as YYYY-MM-DD.")
        return redirect("sessions:billing:my_billing")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if start and end and end < start:
        messages.error(request, "The period ends before it starts.")
        return redirect("sessions:billing:my_billing")
    try:
        superbill_email_request(patient=patient, by=request.user, start=start, end=end)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Your superbill is on its way to {patient.email}.")
    return redirect("sessions:billing:my_billing")
