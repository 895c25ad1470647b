"""Pages of the esketamine REMS: the monitoring form of a session (sign, PDF, submission), the
forms' deadlines, and a patient's enrolment."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake.selectors import patient_get
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.confirm import confirmation_required
from kap_clinic.pdf import pdf_response
from sessions.models import DosingRecord
from sessions.rems import services
from sessions.rems.forms import RemsEnrolmentForm, RemsSignForm, RemsSubmissionForm
from sessions.rems.models import RemsForm, RemsFormState
from sessions.rems.selectors import (
    local_date,
    rems_enrolment_of,
    rems_form_document,
    rems_form_rows,
)
from sessions.selectors import dosing_record_get

# Submitted forms stay on the REMS page this many days (for a glance at what went).
SUBMITTED_SHOWN_DAYS = 30


def _record_with_form(request: AuthenticatedRequest, record_uuid: UUID) -> DosingRecord:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    if not record.course.protocol.rems_form_required:
        raise PermissionDenied("This protocol has no REMS monitoring form.")
    return record


def _form_of(record: DosingRecord) -> RemsForm | None:
    return RemsForm.objects.filter(dosing_record=record).first()


def _form_page(
    request: AuthenticatedRequest,
    record: DosingRecord,
    *,
    errors: list[str] | None = None,
    sign_form: RemsSignForm | None = None,
    submission_form: RemsSubmissionForm | None = None,
) -> HttpResponse:
    form = _form_of(record)
    if form is None:
        from sessions import dosing

        context = {
            "form": None,
            "record": record,
            "appointment": record.appointment,
            "patient": record.appointment.patient,
            "course": record.course,
            "enrolment": rems_enrolment_of(record.appointment.patient),
            "fields": dosing.rems_form_fields(record),
        }
        state = None
    else:
        context = rems_form_document(form)
        state = form.state_on(local_date(timezone.now(), record.appointment.location.time_zone))
    bad = bool(errors) or any(f is not None and f.errors for f in (sign_form, submission_form))
    return render(
        request,
        "kap_sessions/rems_form.html",
        {
            **context,
            "state": state,
            "states": RemsFormState,
            "errors": errors or [],
            "can_sign": request.user.has_perm("kap_sessions.administer_dose"),
            "sign_form": sign_form or RemsSignForm(),
            "submission_form": submission_form
            or RemsSubmissionForm(initial={"submitted_on": timezone.localdate(timezone.now())}),
            "time_zone": record.appointment.location.time_zone,
        },
        status=400 if bad else 200,
    )


@permission_required("kap_sessions.view_dose")
def rems_form(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    """The esketamine REMS Patient Monitoring Form of one session, filled from the record."""
    record = _record_with_form(request, record_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=record, detail="REMS form")
    return _form_page(request, record)


@require_POST
@permission_required("kap_sessions.administer_dose")
def rems_form_complete(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    """The prescriber signs the form: every field filled, then a confirmation step."""
    record = _record_with_form(request, record_uuid)
    form = _form_of(record)
    sign_form = RemsSignForm(request.POST)
    problems: list[str] = []
    if form is None:
        problems.append("The REMS form is completed after the patient is discharged.")
    missing = services.rems_form_missing(record)
    if missing:
        problems.append(
            "The REMS form cannot be marked complete: not assessed: " + "; ".join(missing) + "."
        )
    if not sign_form.is_valid() or problems or form is None:
        return _form_page(request, record, errors=problems, sign_form=sign_form)
    back_url = reverse("sessions:rems_form", args=[record.uuid])
    confirm = confirmation_required(
        request,
        title="Sign the REMS monitoring form?",
        consequence=(
            "Your typed name is your signature. The form is kept as it reads now and can no "
            "longer change; it is then ready to submit to the REMS."
        ),
        confirm_label="Sign the form",
        back_url=back_url,
        danger=False,
    )
    if confirm is not None:
        return confirm
    try:
        services.rems_form_sign(
            form=form, signature=sign_form.cleaned_data["signature"], by=request.user
        )
    except ValidationError as error:
        sign_form.add_service_error(error)
        return _form_page(request, record, sign_form=sign_form)
    messages.success(request, "REMS form signed; submit it to the REMS within the deadline.")
    return redirect(back_url)


@require_POST
@permission_required("kap_sessions.administer_dose")
def rems_form_transmit(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = _record_with_form(request, record_uuid)
    form = _form_of(record)
    if form is None:
        return _form_page(request, record, errors=["The patient is not discharged yet."])
    try:
        form = services.rems_form_transmit(form=form, by=request.user)
    except ValidationError as error:
        return _form_page(request, record, errors=list(error.messages))
    messages.success(
        request, f"REMS form submitted; confirmation number {form.confirmation_number}."
    )
    return redirect("sessions:rems_form", record.uuid)


@require_POST
@permission_required("kap_sessions.administer_dose")
def rems_form_submission_record(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = _record_with_form(request, record_uuid)
    form = _form_of(record)
    submission_form = RemsSubmissionForm(request.POST)
    if form is None:
        return _form_page(request, record, errors=["The patient is not discharged yet."])
    if not submission_form.is_valid():
        return _form_page(request, record, submission_form=submission_form)
    try:
        services.rems_form_submission_record(
            form=form, by=request.user, **submission_form.cleaned_data
        )
    except ValidationError as error:
        submission_form.add_service_error(error)
        return _form_page(request, record, submission_form=submission_form)
    messages.success(request, "REMS submission recorded.")
    return redirect("sessions:rems_form", record.uuid)


@permission_required("kap_sessions.view_dose")
def rems_form_pdf(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = _record_with_form(request, record_uuid)
    form = _form_of(record)
    if form is None:
        return _form_page(request, record, errors=["The patient is not discharged yet."])
    audit_record(action=AuditAction.EXPORT, request=request, obj=form, detail="REMS form PDF")
    patient = record.appointment.patient
    return pdf_response(
        request,
        "kap_sessions/rems/form_pdf.html",
        rems_form_document(form),
        filename=f"rems-{patient.mrn}-{form.session_date:%Y%m%d}.pdf",
    )


@role_required(Role.PRESCRIBER, Role.CLINIC_ADMIN)
def rems_list(request: AuthenticatedRequest) -> HttpResponse:
    """The REMS forms the user follows: overdue, due soon, pending, recently submitted."""
    since = timezone.localdate(timezone.now()) - timedelta(days=SUBMITTED_SHOWN_DAYS)
    rows = rems_form_rows(user=request.user, submitted_since=since)
    audit_record(
        action=AuditAction.READ, request=request, object_type="rems_forms", detail="REMS forms"
    )
    sections = [
        (state, rows[state.value])
        for state in (
            RemsFormState.OVERDUE,
            RemsFormState.DUE_SOON,
            RemsFormState.PENDING,
            RemsFormState.SUBMITTED,
        )
    ]
    return render(
        request,
        "kap_sessions/rems/list.html",
        {
            "sections": sections,
            "can_open_forms": request.user.has_perm("kap_sessions.view_dose"),
            "submitted_days": SUBMITTED_SHOWN_DAYS,
        },
    )


@role_required(Role.PRESCRIBER, Role.CLINIC_ADMIN)
def rems_enrolment(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """A patient's REMS enrolment: shown once recorded, else the form to record it."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    enrolment = rems_enrolment_of(patient)
    form = RemsEnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rems_enrol(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "REMS enrolment recorded.")
            return redirect("sessions:rems_enrolment", patient.uuid)
    elif request.method == "GET":
        audit_record(action=AuditAction.READ, request=request, obj=patient, detail="REMS enrolment")
    return render(
        request,
        "kap_sessions/rems/enrolment.html",
        {"patient": patient, "enrolment": enrolment, "form": form},
        status=400 if form.errors else 200,
    )
