"""Pages of supervision: returning a note for revision, the supervisor's queue."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake import services as intake_services
from integration.forms import ClearanceCosignForm, HoursGoalForm
from integration.selectors import notes_visible_to
from integration.supervision import (
    panels,  # noqa: F401  (registers the landing panel)
    services,
)
from integration.supervision.hours import GoalProgress, hours_toward_goals
from integration.supervision.selectors import (
    caseload_of,
    clearance_for_cosignature,
    clearances_awaiting_cosignature,
    reports_visible_to,
    supervisor_queue,
)
from integration.views import _errors, _note_page
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.pagination import paginate
from kap_clinic.pdf import pdf_response


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_return(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = get_object_or_404(notes_visible_to(user=request.user), uuid=note_uuid)
    comment = services.Comment(
        section=request.POST.get("section", ""), text=request.POST.get("comment", "")
    )
    try:
        services.note_return(note=note, comments=[comment], by=request.user)
    except ValidationError as error:
        return _note_page(request, note, error=_errors(error), status=400)
    messages.success(request, "Note returned to its author for revision.")
    return redirect("integration:note_detail", note_uuid=note.uuid)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def report_pdf(request: AuthenticatedRequest, report_uuid: UUID) -> HttpResponse:
    report = get_object_or_404(reports_visible_to(user=request.user), uuid=report_uuid)
    audit_record(action=AuditAction.EXPORT, request=request, obj=report, detail="report PDF")
    return pdf_response(
        request,
        "integration/supervision/report_pdf.html",
        {"report": report, "relationship": report.relationship},
        filename=f"supervision-{report.first_day:%Y%m%d}-{report.last_day:%Y%m%d}.pdf",
    )


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def report_sign(request: AuthenticatedRequest, report_uuid: UUID) -> HttpResponse:
    report = get_object_or_404(reports_visible_to(user=request.user), uuid=report_uuid)
    try:
        services.report_sign(report=report, by=request.user)
    except ValidationError as error:
        return HttpResponse(_errors(error), status=400)
    messages.success(request, "Report signed.")
    return redirect("integration:supervision_report_pdf", report_uuid=report.uuid)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """The supervisor's notes to co-sign, approve or review (oldest first) and their caseload."""
    page = paginate(request, supervisor_queue(user=request.user))
    caseload = caseload_of(user=request.user, on=timezone.localdate())
    audit_record(action=AuditAction.READ, request=request, detail="supervision queue viewed")
    return render(
        request,
        "integration/supervision/queue.html",
        {
            **page,
            "caseload": caseload,
            "clearances": clearances_awaiting_cosignature(user=request.user),
        },
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def clearance_cosign(
    request: AuthenticatedRequest, kind: str, assessment_uuid: UUID
) -> HttpResponse:
    """A trainee's clearance, for the supervisor who must co-sign it only; they confirm and sign."""
    pending = clearance_for_cosignature(
        user=request.user, kind=kind, assessment_uuid=assessment_uuid
    )
    if pending is None:
        raise Http404("No such clearance awaiting your co-signature.")
    assessment = pending.assessment
    form = ClearanceCosignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                intake_services.assessment_cosign(assessment=assessment, by=request.user)
            except ValidationError as error:
                form.add_error(None, _errors(error))
            else:
                messages.success(request, "Clearance co-signed.")
                return redirect("integration:supervision_queue")
        status = 400
    else:
        audit_record(
            action=AuditAction.READ, request=request, obj=assessment, detail="clearance to co-sign"
        )
    return render(
        request,
        "integration/supervision/clearance_cosign.html",
        {"pending": pending, "assessment": assessment, "form": form},
        status=status,
    )


def _goal_form(progress: GoalProgress, data: QueryDict | None = None) -> HoursGoalForm:
    goal = progress.goal
    initial = (
        {"direct_hours": goal.direct_hours, "indirect_hours": goal.indirect_hours} if goal else {}
    )
    return HoursGoalForm(data, prefix=f"goal-{progress.relationship.uuid}", initial=initial)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def my_hours(request: AuthenticatedRequest) -> HttpResponse:
    """The supervisee's clinical hours under each supervision, toward the goals they set."""
    today = timezone.localdate()
    progress = hours_toward_goals(supervisee=request.user, today=today)
    forms = {row.relationship.uuid: _goal_form(row) for row in progress}
    status = 200
    if request.method == "POST":
        chosen = next(
            (
                row
                for row in progress
                if str(row.relationship.uuid) == request.POST.get("relationship")
            ),
            None,
        )
        if chosen is None:
            raise Http404("No such supervision of yours.")
        form = forms[chosen.relationship.uuid] = _goal_form(chosen, request.POST)
        if form.is_valid():
            try:
                services.hours_goal_set(
                    relationship=chosen.relationship,
                    direct_hours=form.cleaned_data["direct_hours"],
                    indirect_hours=form.cleaned_data["indirect_hours"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Hours goal saved.")
                return redirect("integration:supervision_hours")
        status = 400
    else:
        audit_record(action=AuditAction.READ, request=request, detail="own supervised hours viewed")
    rows = [(row, forms[row.relationship.uuid]) for row in progress]
    return render(
        request,
        "integration/supervision/my_hours.html",
        {"rows": rows, "today": today},
        status=status,
    )


def _add_errors(form: HoursGoalForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)
