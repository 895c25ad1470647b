"""Pages of dosing-day monitoring: quick vitals, alerts, adverse events, rooms' checklists."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic.accounts.access import AuthenticatedRequest, permission_required, role_required
from kap_clinic.accounts.roles import STAFF_ROLES
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions import dosing
from sessions.models import DosingPolicy, DosingRecord, Room
from sessions.monitoring import services
from sessions.monitoring.forms import (
    AdverseEventReportForm,
    AlertAcknowledgeForm,
    QuickVitalsForm,
    RoomCheckForm,
)
from sessions.monitoring.models import AdverseEventFollowUp, RoomEmergencyCheck, VitalsAlert
from sessions.monitoring.page import dosing_header_context, vitals_panel_context
from sessions.selectors import dosing_record_get


def _zone(record: DosingRecord) -> ZoneInfo:
    return ZoneInfo(record.appointment.location.time_zone)


def _dosing_page(
    request: AuthenticatedRequest, record: DosingRecord, **kwargs: Any
) -> HttpResponse:
    from sessions.views import _dosing_page as page  # the page belongs to sessions.views

    return page(request, record, **kwargs)


def _is_htmx(request: AuthenticatedRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _fresh(request: AuthenticatedRequest, record: DosingRecord) -> DosingRecord:
    return dosing_record_get(user=request.user, record_uuid=record.uuid)


# ------------------------------------------------------------------------------------------------
# The live parts of the dosing page


@permission_required("kap_sessions.view_dosingrecord")
def dosing_live(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    """The sticky header and the alerts, polled every 15 seconds by the dosing page."""
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    context = {
        "record": record,
        "appointment": record.appointment,
        "protocol": record.course.protocol,
        "time_zone": _zone(record),
        "can_monitor": request.user.has_perm("kap_sessions.record_monitoring"),
        "oob": False,
        **dosing_header_context(record=record, now=timezone.now()),
    }
    return render(request, "kap_sessions/dosing/_live.html", context)


@require_POST
@permission_required("kap_sessions.record_monitoring")
def vitals_quick_add(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    """One row of vitals; through htmx the panel, header and alerts are swapped in place."""
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    zone = _zone(record)
    with timezone.override(zone):
        form = QuickVitalsForm(request.POST)
        valid = form.is_valid()
    if valid:
        data = form.cleaned_data
        try:
            dosing.vitals_record(
                record=record,
                taken_at=data["taken_at"] or timezone.now(),
                blood_pressure_systolic=data["blood_pressure_systolic"],
                blood_pressure_diastolic=data["blood_pressure_diastolic"],
                heart_rate=data["heart_rate"],
                spo2=data["spo2"],
                respiratory_rate=data["respiratory_rate"],
                by=request.user,
            )
        except ValidationError as error:
            # Field errors land on their field; others (the session's state) above the row.
            form.add_error(None, error)
        else:
            audit_record(
                action=AuditAction.UPDATE, request=request, obj=record, detail="vitals recorded"
            )
            if not _is_htmx(request):
                return redirect("sessions:dosing_record", record.uuid)
            record = _fresh(request, record)
            form = QuickVitalsForm()
    if not _is_htmx(request):
        return _dosing_page(
            request, record, errors=["Check the vitals row."], bound={"quick_vitals_form": form}
        )
    now = timezone.now()
    context = {
        "record": record,
        "appointment": record.appointment,
        "protocol": record.course.protocol,
        "time_zone": zone,
        "can_monitor": True,
        "oob": True,
        **dosing_header_context(record=record, now=now),
        **vitals_panel_context(record=record, zone=zone, now=now, form=form),
    }
    return render(
        request,
        "kap_sessions/dosing/_vitals_saved.html",
        context,
        status=422 if form.errors else 200,
    )


@require_POST
@permission_required("kap_sessions.record_monitoring")
def alert_acknowledge(
    request: AuthenticatedRequest, record_uuid: UUID, alert_uuid: UUID
) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    alert = get_object_or_404(
        VitalsAlert.objects.select_related("vitals"), dosing_record=record, uuid=alert_uuid
    )
    form = AlertAcknowledgeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say what was done about the alert before acknowledging it.")
        services.vitals_reading_alerts_acknowledge(
            vitals=alert.vitals, action_taken=form.cleaned_data["action_taken"], by=request.user
        )
    except ValidationError as error:
        return _dosing_page(request, record, errors=list(error.messages))
    return redirect("sessions:dosing_record", record.uuid)


@require_POST
@permission_required("kap_sessions.record_monitoring")
def alerts_acknowledge(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    """Every open alert of the session, acknowledged with one action from the sticky header."""
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    form = AlertAcknowledgeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say what was done about the alert before acknowledging it.")
        services.vitals_alerts_acknowledge_open(
            record=record, action_taken=form.cleaned_data["action_taken"], by=request.user
        )
    except ValidationError as error:
        return _dosing_page(request, record, errors=list(error.messages))
    return redirect("sessions:dosing_record", record.uuid)


@require_POST
@permission_required("kap_sessions.record_monitoring")
def adverse_event_report(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    with timezone.override(_zone(record)):
        form = AdverseEventReportForm(request.POST)
        valid = form.is_valid()
    try:
        if not valid:
            raise ValidationError("Check the highlighted fields of the adverse event.")
        services.adverse_event_report(record=record, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            form.add_error(None, error)
            error = ValidationError("Check the highlighted fields of the adverse event.")
        return _dosing_page(
            request,
            record,
            errors=list(error.messages),
            bound={"adverse_event_report_form": form},
        )
    return redirect("sessions:dosing_record", record.uuid)


@require_POST
@permission_required("kap_sessions.record_monitoring")
def follow_up_done(
    request: AuthenticatedRequest, record_uuid: UUID, follow_up_uuid: UUID
) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    follow_up = get_object_or_404(
        AdverseEventFollowUp, adverse_event__dosing_record=record, uuid=follow_up_uuid
    )
    try:
        services.adverse_event_follow_up_done(follow_up=follow_up, by=request.user)
    except ValidationError as error:
        return _dosing_page(request, record, errors=list(error.messages))
    return redirect("sessions:dosing_record", record.uuid)


# ------------------------------------------------------------------------------------------------
# Rooms' daily emergency checklist


@role_required(*STAFF_ROLES)
def room_check(request: AuthenticatedRequest, room_uuid: UUID) -> HttpResponse:
    """Today's emergency checklist of one room, filled by staff before the first dose."""
    room = get_object_or_404(Room.objects.select_related("location"), uuid=room_uuid)
    day = services.room_local_day(room, timezone.now())
    policy = DosingPolicy.current()
    existing = RoomEmergencyCheck.objects.filter(room=room, day=day).first()
    errors: list[str] = []
    if request.method == "POST":
        form = RoomCheckForm(request.POST, rescue_medicines=policy.rescue_medicines)
        if form.is_valid():
            try:
                check = services.room_check_record(
                    room=room, day=day, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                errors = list(error.messages)
            else:
                if check.is_complete:
                    messages.success(request, f"{room.name} is ready for dosing today.")
                else:
                    messages.warning(
                        request,
                        f"{room.name} is not ready: {', '.join(check.missing)}. "
                        "Doses are refused until the checklist is complete.",
                    )
                back = request.POST.get("next", "")
                if back.startswith("/") and not back.startswith("//"):
                    return redirect(back)
                return redirect("sessions:room_check", room.uuid)
    else:
        initial: dict[str, Any] = {}
        if existing is not None:
            initial = {name: getattr(existing, name) for name, _ in RoomEmergencyCheck.EQUIPMENT}
            initial["rescue_medicines_present"] = existing.rescue_medicines_present
            initial["notes"] = existing.notes
        form = RoomCheckForm(initial=initial, rescue_medicines=policy.rescue_medicines)
    return render(
        request,
        "kap_sessions/room_check.html",
        {
            "room": room,
            "day": day,
            "form": form,
            "check": existing,
            "errors": errors,
            "next": request.GET.get("next", ""),
        },
        status=400 if errors or form.errors else 200,
    )
