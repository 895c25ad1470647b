"""Pages of the supervision log: the clinic admin sets up relationships; the supervisor logs
meetings and draws up period reports for each supervisee."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from integration.supervision import services
from integration.supervision.forms import (
    MeetingForm,
    RelationshipEndForm,
    RelationshipForm,
    ReportForm,
)
from integration.supervision.models import SupervisionRelationship, SupervisionReport
from integration.supervision.selectors import (
    meetings_with,
    relationships_for_admin,
    supervised_by,
)
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.pagination import paginate


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """The service's messages, on their fields where the form has them."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


@role_required(Role.CLINIC_ADMIN)
def relationship_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every supervision (current and past) and the form to set up a new one."""
    form = RelationshipForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.relationship_create(
                    supervisee=data["supervisee"],
                    supervisor=data["supervisor"],
                    kind=data["kind"],
                    mode=data["mode"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    sample_percent=data["sample_percent"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Supervision set up.")
                return redirect("integration:supervision_relationships")
        status = 400
    else:
        audit_record(action=AuditAction.READ, request=request, detail="supervisions listed")
    page = paginate(request, relationships_for_admin())
    return render(
        request,
        "integration/supervision/relationship_list.html",
        {**page, "form": form, "today": timezone.localdate()},
        status=status,
    )


@role_required(Role.CLINIC_ADMIN)
def relationship_end(request: AuthenticatedRequest, relationship_uuid: UUID) -> HttpResponse:
    relationship = get_object_or_404(
        SupervisionRelationship.objects.select_related("supervisee", "supervisor"),
        uuid=relationship_uuid,
    )
    form = RelationshipEndForm(
        request.POST if request.method == "POST" else None,
        initial={"ends_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.relationship_end(
                    relationship=relationship,
                    ends_on=form.cleaned_data["ends_on"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Supervision ended.")
                return redirect("integration:supervision_relationships")
        status = 400
    return render(
        request,
        "integration/supervision/relationship_end.html",
        {"relationship": relationship, "form": form},
        status=status,
    )


def _my_supervisees(user: User) -> QuerySet[User]:
    """Everyone this clinician supervises or has supervised (the service checks the date)."""
    return (
        User.objects.filter(supervisions_received__supervisor=user).distinct().order_by("full_name")
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def meeting_new(request: AuthenticatedRequest) -> HttpResponse:
    """The supervisor logs a supervision meeting; cases by MRN only."""
    supervisees = _my_supervisees(request.user)
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        supervisees=supervisees,
        initial={"held_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.meeting_record(
                    supervisees=list(data["supervisees"]),
                    held_on=data["held_on"],
                    format=data["format"],
                    minutes=data["minutes"],
                    case_mrns=form.mrns(),
                    notes=data["notes"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Supervision meeting logged.")
                return redirect("integration:supervision_queue")
        status = 400
    return render(
        request,
        "integration/supervision/meeting_new.html",
        {"form": form, "has_supervisees": supervisees.exists()},
        status=status,
    )


def _supervised(request: AuthenticatedRequest, relationship_uuid: UUID) -> SupervisionRelationship:
    relationship = supervised_by(user=request.user, relationship_uuid=relationship_uuid)
    if relationship is None:
        raise Http404("No such supervisee of yours.")
    return relationship


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def supervisee_meetings(request: AuthenticatedRequest, relationship_uuid: UUID) -> HttpResponse:
    """The supervision meetings a supervisee attended with this supervisor, newest first."""
    relationship = _supervised(request, relationship_uuid)
    page = paginate(request, meetings_with(relationship=relationship))
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=relationship,
        detail="supervision meetings viewed",
    )
    return render(
        request,
        "integration/supervision/supervisee_meetings.html",
        {**page, "relationship": relationship},
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def supervisee_reports(request: AuthenticatedRequest, relationship_uuid: UUID) -> HttpResponse:
    """The supervisor draws up a supervisee's report for a period; the reports drawn so far,
    to sign and to download."""
    relationship = _supervised(request, relationship_uuid)
    today = timezone.localdate()
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        initial={"first_day": today.replace(day=1), "last_day": today},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.report_create(
                    relationship=relationship,
                    first_day=form.cleaned_data["first_day"],
                    last_day=form.cleaned_data["last_day"],
                    by=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Report drawn up; sign it, then the supervisee signs.")
                return redirect(
                    "integration:supervision_supervisee_reports",
                    relationship_uuid=relationship.uuid,
                )
        status = 400
    else:
        audit_record(
            action=AuditAction.READ,
            request=request,
            obj=relationship,
            detail="supervision reports viewed",
        )
    page = paginate(request, SupervisionReport.objects.filter(relationship=relationship))
    return render(
        request,
        "integration/supervision/supervisee_reports.html",
        {**page, "relationship": relationship, "form": form, "as_supervisor": True},
        status=status,
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def my_reports(request: AuthenticatedRequest) -> HttpResponse:
    """The supervisee's own supervision reports, to sign and to download."""
    reports = SupervisionReport.objects.select_related(
        "relationship__supervisor", "relationship__supervisee"
    ).filter(relationship__supervisee=request.user)
    page = paginate(request, reports)
    audit_record(action=AuditAction.READ, request=request, detail="own supervision reports viewed")
    return render(
        request, "integration/supervision/my_reports.html", {**page, "as_supervisor": False}
    )
