"""Pages of the intake app: patients, invitations, the wizard, the review queue and clearance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake import services, wizard
from intake.forms import (
    ClinicalAssessmentForm,
    ClinicPolicyForm,
    InvitationAcceptForm,
    InvitationRequestForm,
    MedicalAssessmentForm,
    PatientInviteForm,
)
from intake.medications import review_classes_for
from intake.models import (
    ClinicPolicy,
    Decision,
    Finding,
    FindingSeverity,
    IntakeForm,
    InvitationRequest,
    InvitationRequestStatus,
    Patient,
    PatientStatus,
)
from intake.selectors import (
    alerts_open_for,
    assessments_for,
    intake_for_review,
    intake_versions,
    patient_get,
    patients_outside_care_team,
    patients_visible_to,
    review_queue,
    review_queue_counts,
)
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.chart import patients_with_status
from kap_clinic.confirm import confirmation_required
from kap_clinic.pagination import paginate
from kap_clinic.pdf import pdf_response


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- patients -------------------------------------------------------------------------------------


@permission_required("intake.view_patient")
def patient_list(request: AuthenticatedRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    patients = patients_with_status(patients_visible_to(user=request.user, search=search))
    return render(
        request,
        "intake/patient_list.html",
        {
            "search": search,
            # Break the glass: a clinician's search also names patients outside their team.
            "outside_team": patients_outside_care_team(user=request.user, search=search),
            **paginate(request, patients),
        },
    )


SEARCH_RESULTS = 50


class PatientCloseForm(forms.Form):
    status = forms.ChoiceField(
        label="What happened",
        choices=[
            (PatientStatus.DISCHARGED.value, "Discharged from the practice"),
            (PatientStatus.DECLINED.value, "Declined treatment"),
        ],
    )
    reason = forms.CharField(label="Reason", max_length=300)


@require_POST
@role_required(Role.PRESCRIBER, Role.CLINIC_ADMIN)
def patient_close(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """Discharge from the practice (or declined treatment), after a confirmation step."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    details = reverse("intake:chart_section", args=[patient.uuid, "details"])
    form = PatientCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened and give the reason.")
        return redirect(details)
    label = dict(form.fields["status"].choices)[form.cleaned_data["status"]]  # type: ignore[attr-defined]
    confirm = confirmation_required(
        request,
        title=f"{label}: {patient.display_name}?",
        consequence=(
            f"{patient.display_name}'s status becomes “{label.lower()}” with the reason you gave. "
            "Their record is kept; no new course can be planned until they are invited again."
        ),
        confirm_label=label,
        back_url=details,
    )
    if confirm is not None:
        return confirm
    try:
        services.patient_status_close(
            patient=patient,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"{patient.display_name}: {label.lower()}.")
    return redirect(details)


@permission_required("intake.view_patient")
def patient_search(request: AuthenticatedRequest) -> HttpResponse:
    """The header's search box. Posted, so the term stays out of URLs and access logs."""
    term = request.POST.get("q", "").strip()[:100] if request.method == "POST" else ""
    patients: list[Patient] = []
    if term:
        patients = list(
            patients_with_status(
                patients_visible_to(user=request.user, search=term).order_by(
                    "legal_last_name", "legal_first_name", "date_of_birth"
                )
            )[:SEARCH_RESULTS]
        )
        # Which patients were found is a read of their records; the term itself is not kept.
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type="intake.patient",
            detail=f"patient search: {len(patients)} found",
        )
    today = timezone.localdate()
    return render(
        request,
        "intake/patient_search.html",
        {
            "term": term,
            "rows": [(patient, patient.age_on(today)) for patient in patients],
            "searched": bool(term),
            "limit": SEARCH_RESULTS,
        },
    )


@permission_required("intake.add_patient")
def patient_invite(request: AuthenticatedRequest) -> HttpResponse:
    form = PatientInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_invite(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            audit_record(action=AuditAction.CREATE, request=request, obj=patient, detail="invited")
            messages.success(request, f"Invitation sent to {patient.email}.")
            return redirect("intake:patient_detail", patient_uuid=patient.uuid)
    return render(request, "intake/patient_invite.html", {"form": form})


@require_POST
@permission_required("intake.add_patient")
def invitation_resend(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    try:
        invitation = services.invitation_send(patient=patient, by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        audit_record(
            action=AuditAction.CREATE, request=request, obj=invitation, detail="invitation resent"
        )
        messages.success(request, "A new invitation was sent; the earlier link no longer works.")
    return redirect("intake:patient_detail", patient_uuid=patient.uuid)


# --- public: requesting and accepting an invitation -----------------------------------------------


def invitation_request_create(request: HttpRequest) -> HttpResponse:
    form = InvitationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_request_create(ip_address=_client_ip(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "intake/invitation_request_done.html")
    return render(request, "intake/invitation_request_form.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except ValidationError as error:
        return render(
            request, "intake/invitation_invalid.html", {"reason": _errors(error)}, status=400
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            return render(
                request, "intake/invitation_invalid.html", {"reason": _errors(error)}, status=400
            )
        assert patient.user is not None  # noqa: S101  (invitation_accept sets it)
        login(request, patient.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Welcome — let's start your intake.")
        return redirect("intake:intake_resume")
    return render(
        request,
        "intake/invitation_accept.html",
        {"form": form, "patient": invitation.patient},
    )


@permission_required("intake.add_patient")
def invitation_request_list(request: AuthenticatedRequest) -> HttpResponse:
    pending = InvitationRequest.objects.filter(status=InvitationRequestStatus.PENDING)
    return render(request, "intake/invitation_request_list.html", paginate(request, pending))


@require_POST
@permission_required("intake.add_patient")
def invitation_request_handle(
    request: AuthenticatedRequest, request_uuid: UUID, action: str
) -> HttpResponse:
    invitation_request = get_object_or_404(InvitationRequest, uuid=request_uuid)
    try:
        if action == "accept":
            patient = services.invitation_request_accept(
                invitation_request=invitation_request, by=request.user
            )
            messages.success(request, f"{patient.display_name} was invited.")
        else:
            services.invitation_request_decline(
                invitation_request=invitation_request, by=request.user
            )
            messages.info(request, "The request was declined.")
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("intake:invitation_request_list")


# --- the patient's wizard -------------------------------------------------------------------------


def _own_patient(request: AuthenticatedRequest) -> Patient:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404
    return patient


def _step_url(step: wizard.Step) -> str:
    return reverse("intake:intake_step", kwargs={"step": step.key})


def _after(step: wizard.Step, answers: dict[str, Any], *, backwards: bool = False) -> str:
    keys = [item.key for item in wizard.steps_for(answers)]
    index = keys.index(step.key) + (-1 if backwards else 1)
    if index < 0:
        return _step_url(step)
    if index >= len(keys):
        return reverse("intake:intake_review")
    return reverse("intake:intake_step", kwargs={"step": keys[index]})


@role_required(Role.PATIENT)
def intake_resume(request: AuthenticatedRequest) -> HttpResponse:
    intake = services.intake_start(patient=_own_patient(request))
    if intake.is_locked:
        return redirect("intake:intake_submitted")
    step = wizard.first_incomplete(intake.answers)
    return redirect(_step_url(step) if step else reverse("intake:intake_review"))


@role_required(Role.PATIENT)
def intake_step(request: AuthenticatedRequest, step: str) -> HttpResponse:
    intake = services.intake_start(patient=_own_patient(request))
    if intake.is_locked:
        messages.info(request, "You have submitted your intake; here is what you sent.")
        return redirect("intake:intake_submitted")
    current = wizard.step_get(step)
    if current is None:
        raise Http404
    if not current.applies(intake.answers) or not wizard.step_reachable(current, intake.answers):
        messages.warning(request, "Please complete the steps in order; here is the next one.")
        return redirect("intake:intake_resume")
    if request.method == "POST":
        form = wizard.step_form(current, intake=intake, data=request.POST)
        going_back = "back" in request.POST
        if form.is_valid():
            try:
                intake = services.intake_step_save(
                    intake=intake, step_key=current.key, answers=form.answers()
                )
            except ValidationError as error:
                messages.error(request, _errors(error))
                return redirect("intake:intake_resume")
            if "add_row" in request.POST:
                return redirect(_step_url(current))
            return redirect(_after(current, intake.answers, backwards=going_back))
        if going_back:  # leave without saving an invalid step; the saved draft stays
            return redirect(_after(current, intake.answers, backwards=True))
    else:
        form = wizard.step_form(current, intake=intake)
    steps = wizard.steps_for(intake.answers)
    position = [item.key for item in steps].index(current.key) + 1
    return render(
        request,
        "intake/intake_step.html",
        {
            "step": current,
            "form": form,
            "is_formset": current.key == "medications",
            "instrument": wizard.INSTRUMENTS.get(current.instrument_key),
            "documents": wizard.consent_documents() if current.key == "consents" else [],
            "position": position,
            "total": len(steps),
            "percent": round(100 * (position - 1) / len(steps)),
            "is_first": position == 1,
        },
    )


@role_required(Role.PATIENT)
def intake_review(request: AuthenticatedRequest) -> HttpResponse:
    intake = services.intake_start(patient=_own_patient(request))
    if request.method == "POST":
        try:
            services.intake_submit(intake=intake, by=request.user, ip_address=_client_ip(request))
        except ValidationError as error:
            messages.error(request, _errors(error))
            if intake.is_locked:
                return redirect("intake:intake_submitted")
            return redirect("intake:intake_resume")
        audit_record(action=AuditAction.UPDATE, request=request, obj=intake, detail="submitted")
        messages.success(
            request, "Thank you — your intake is submitted. Your care team will review it."
        )
        return redirect("intake:intake_submitted")
    if intake.is_locked:
        return redirect("intake:intake_submitted")
    missing = wizard.first_incomplete(intake.answers)
    if missing is not None:
        messages.warning(request, "Please complete every step before the review.")
        return redirect(_step_url(missing))
    return render(
        request,
        "intake/intake_review.html",
        {"sections": wizard.answers_display(intake.answers), "intake": intake},
    )


@role_required(Role.PATIENT)
def intake_submitted(request: AuthenticatedRequest) -> HttpResponse:
    patient = _own_patient(request)
    intake = patient.intakes.exclude(status="draft").order_by("-version").first()
    if intake is None:
        return redirect("intake:intake_resume")
    audit_record(action=AuditAction.READ, request=request, obj=intake, detail="own intake")
    return render(
        request,
        "intake/intake_submitted.html",
        {"sections": wizard.answers_display(intake.answers), "intake": intake},
    )


# --- staff: review queue, summary, assessments ----------------------------------------------------


@permission_required("intake.view_clinical_record")
def intake_review_queue(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in PatientStatus.values or status == PatientStatus.INVITED:
        status = ""
    search = request.GET.get("q", "").strip()[:100]
    patients = review_queue(user=request.user, status=status, search=search)
    counts = review_queue_counts(user=request.user)
    return render(
        request,
        "intake/review_queue.html",
        {
            "status": status,
            "search": search,
            # Invited patients have no intake yet: the queue starts at "intake in progress".
            "counts": [
                (choice, counts.get(choice.value, 0))
                for choice in PatientStatus
                if choice != PatientStatus.INVITED
            ],
            **paginate(request, patients),
        },
    )


def _flagged_medications(intake: IntakeForm) -> list[dict[str, Any]]:
    rows = (intake.answers.get("medications") or {}).get("medications", [])
    return [
        {**row, "classes": [review_class.label for review_class in review_classes_for(row["name"])]}
        for row in rows
    ]


@permission_required("intake.view_clinical_record")
def intake_summary(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    intake = intake_for_review(user=request.user, patient=patient)
    audit_record(action=AuditAction.READ, request=request, obj=intake, detail="intake summary")
    findings = list(intake.findings.all())
    grouped = [
        (severity, [finding for finding in findings if finding.severity == severity.value])
        for severity in FindingSeverity
    ]
    medical, clinical = assessments_for(patient=patient)
    return render(
        request,
        "intake/intake_summary.html",
        {
            "patient": patient,
            "intake": intake,
            "responses": intake.responses.all(),
            "grouped_findings": grouped,
            "medications": _flagged_medications(intake),
            "sections": wizard.answers_display(intake.answers),
            "medical_assessments": medical,
            "clinical_assessments": clinical,
            "versions": intake_versions(patient=patient),
            "correctable_steps": [
                s for s in wizard.steps_for(intake.answers) if s.key != "consents"
            ],
            "alerts": patient.alerts.filter(acknowledged_at__isnull=True),
        },
    )


@permission_required("intake.view_clinical_record")
def intake_summary_pdf(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    intake = intake_for_review(user=request.user, patient=patient)
    audit_record(action=AuditAction.EXPORT, request=request, obj=intake, detail="intake PDF")
    return pdf_response(
        request,
        "intake/pdf/intake_summary.html",
        {
            "patient": patient,
            "intake": intake,
            "responses": intake.responses.all(),
            "findings": intake.findings.all(),
            "sections": wizard.answers_display(intake.answers),
        },
        filename=f"intake-{patient.mrn}.pdf",
    )


def _assessment(
    request: AuthenticatedRequest,
    patient_uuid: UUID,
    *,
    form_class: type[forms.ModelForm],
    record: Any,
    title: str,
) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    intake = intake_for_review(user=request.user, patient=patient)
    audit_record(action=AuditAction.READ, request=request, obj=intake, detail=f"{title} form")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["decision"] == Decision.NOT_CLEARED:
            confirm = confirmation_required(
                request,
                title=f"Decline clearance for {patient.display_name}?",
                consequence=(
                    f"The {title.lower()} is recorded as not cleared: {patient.display_name} "
                    "becomes not eligible for treatment and cannot be booked for dosing. The "
                    "assessment stays in the record."
                ),
                confirm_label="Record: not cleared",
                back_url=reverse("intake:intake_summary", args=[patient.uuid]),
            )
            if confirm is not None:
                return confirm
        try:
            assessment = record(patient=patient, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            audit_record(action=AuditAction.CREATE, request=request, obj=assessment, detail=title)
            messages.success(request, f"{title} recorded.")
            return redirect("intake:intake_summary", patient_uuid=patient.uuid)
    excludes = intake.findings.filter(severity=FindingSeverity.EXCLUDE, overridden_by__isnull=True)
    return render(
        request,
        "intake/assessment_form.html",
        {"form": form, "patient": patient, "title": title, "excludes": excludes},
    )


@role_required(Role.PRESCRIBER)
def medical_assessment_create(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    return _assessment(
        request,
        patient_uuid,
        form_class=MedicalAssessmentForm,
        record=services.medical_assessment_record,
        title="Medical assessment",
    )


@role_required(Role.THERAPIST)
def clinical_assessment_create(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    return _assessment(
        request,
        patient_uuid,
        form_class=ClinicalAssessmentForm,
        record=services.clinical_assessment_record,
        title="Clinical assessment",
    )


class CorrectionReasonForm(forms.Form):
    correction_reason = forms.CharField(
        label="Reason for the correction", widget=forms.Textarea(attrs={"rows": 2})
    )


@role_required(Role.PRESCRIBER, Role.THERAPIST)
def intake_correct(request: AuthenticatedRequest, patient_uuid: UUID, step: str) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    intake = intake_for_review(user=request.user, patient=patient)
    current = wizard.step_get(step)
    if current is None or current.key == "consents" or not current.applies(intake.answers):
        raise Http404
    form = wizard.step_form(current, intake=intake, data=request.POST or None)
    reason_form = CorrectionReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        try:
            corrected = services.intake_correct(
                intake=intake,
                step_key=current.key,
                answers=form.answers(),
                reason=reason_form.cleaned_data["correction_reason"],
                by=request.user,
            )
        except ValidationError as error:
            reason_form.add_error(None, error)
        else:
            audit_record(
                action=AuditAction.UPDATE, request=request, obj=corrected, detail="correction"
            )
            messages.success(request, "Corrected as a new version; clearance needs a new review.")
            return redirect("intake:intake_summary", patient_uuid=patient.uuid)
    return render(
        request,
        "intake/intake_correct.html",
        {
            "patient": patient,
            "step": current,
            "form": form,
            "reason_form": reason_form,
            "is_formset": current.key == "medications",
        },
    )


@require_POST
@role_required(Role.PRESCRIBER, Role.THERAPIST)
def alert_acknowledge(request: AuthenticatedRequest, alert_uuid: UUID) -> HttpResponseRedirect:
    alert = get_object_or_404(alerts_open_for(user=request.user), uuid=alert_uuid)
    services.alert_acknowledge(alert=alert, by=request.user)
    audit_record(action=AuditAction.UPDATE, request=request, obj=alert, detail="acknowledged")
    messages.success(request, "Alert acknowledged.")
    return redirect("intake:intake_summary", patient_uuid=alert.patient.uuid)


@role_required(Role.CLINIC_ADMIN)
def clinic_policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    policy = ClinicPolicy.get()
    form = ClinicPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.clinic_policy_update(policy=form.save(commit=False), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            audit_record(action=AuditAction.UPDATE, request=request, obj=policy, detail="policy")
            messages.success(request, "Intake policy saved.")
            return redirect("intake:clinic_policy_edit")
    return render(request, "intake/clinic_policy_form.html", {"form": form})


@require_POST
@role_required(Role.PRESCRIBER, Role.THERAPIST)
def finding_override(request: AuthenticatedRequest, finding_uuid: UUID) -> HttpResponse:
    finding = get_object_or_404(
        Finding.objects.select_related("intake__patient").filter(
            intake__patient__in=patients_visible_to(user=request.user)
        ),
        uuid=finding_uuid,
    )
    try:
        services.finding_override(
            finding=finding, reason=request.POST.get("reason", ""), by=request.user
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        audit_record(action=AuditAction.UPDATE, request=request, obj=finding, detail="override")
        messages.success(request, "Finding overridden; the reason is recorded.")
    return redirect("intake:intake_summary", patient_uuid=finding.intake.patient.uuid)
