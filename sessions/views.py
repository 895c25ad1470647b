"""Pages of the sessions app: scheduling, the calendar and boards, and the dosing day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake.selectors import patient_get, patients_visible_to
from kap_clinic.accounts.access import AuthenticatedRequest, permission_required, role_required
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.chart import appointment_links
from kap_clinic.confirm import confirmation_required
from kap_clinic.pdf import pdf_response
from sessions import dosing, forms, services
from sessions.availability import course_plan, free_slots
from sessions.controlled import services as ledger_services
from sessions.models import (
    Appointment,
    AppointmentStatus,
    CourseStatus,
    DosingPolicy,
    DosingRecord,
    DosingStatus,
    Drug,
    Location,
    OtherMedication,
    Readiness,
)
from sessions.monitoring.board import board_monitoring_context
from sessions.monitoring.page import dosing_page_context
from sessions.rems.selectors import rems_booking_warning, rems_enrolment_of
from sessions.selectors import (
    appointment_get,
    board_appointments,
    calendar_appointments,
    course_cumulative_dose_mg,
    course_get,
    dosing_record_get,
    live_dosing_records,
    patient_is_cleared,
)


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _may_override(request: AuthenticatedRequest) -> bool:
    """Clinic admins may book outside the schedule rules, with a reason."""
    return request.user.role == Role.CLINIC_ADMIN


def _day(request: AuthenticatedRequest, location: Location) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.now().astimezone(ZoneInfo(location.time_zone)).date()


def _location(request: AuthenticatedRequest) -> Location:
    locations = Location.objects.filter(is_active=True)
    wanted = request.GET.get("location")
    if wanted:
        try:
            return get_object_or_404(locations, uuid=UUID(wanted))
        except ValueError:
            pass
    location = locations.first()
    if location is None:
        raise PermissionDenied("No clinic location is set up yet.")
    return location


# ------------------------------------------------------------------------------------------------
# Calendar, boards and availability


@permission_required("kap_sessions.view_appointment")
def calendar(request: AuthenticatedRequest) -> HttpResponse:
    """Day or week view of a location, optionally one room or one clinician."""
    location = _location(request)
    day = _day(request, location)
    week = request.GET.get("view") == "week"
    if week:
        day -= timedelta(days=day.weekday())
    days = 7 if week else 1
    room_uuid = request.GET.get("room") or None
    clinician_uuid = request.GET.get("clinician") or None
    try:
        appointments = list(
            calendar_appointments(
                user=request.user,
                location=location,
                day=day,
                days=days,
                room_uuid=UUID(room_uuid) if room_uuid else None,
                clinician_uuid=UUID(clinician_uuid) if clinician_uuid else None,
            )
        )
    except ValueError:
        appointments = []
    zone = ZoneInfo(location.time_zone)
    columns = [
        (
            day + timedelta(days=offset),
            [
                a
                for a in appointments
                if a.starts_at.astimezone(zone).date() == day + timedelta(days=offset)
            ],
        )
        for offset in range(days)
    ]
    return render(
        request,
        "kap_sessions/calendar.html",
        {
            "location": location,
            "locations": Location.objects.filter(is_active=True),
            "rooms": location.rooms.filter(is_active=True),
            "clinicians": User.objects.filter(
                role__in=[Role.PRESCRIBER, Role.THERAPIST], is_active=True
            ),
            "day": day,
            "week": week,
            "columns": columns,
            "room_uuid": room_uuid or "",
            "clinician_uuid": clinician_uuid or "",
            "previous": day - timedelta(days=days),
            "next": day + timedelta(days=days),
            "time_zone": zone,
        },
    )


@permission_required("kap_sessions.view_appointment")
def board_today(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    """Today's appointments at one location, with check-in and readiness status."""
    location = get_object_or_404(Location, uuid=location_uuid)
    day = timezone.now().astimezone(ZoneInfo(location.time_zone)).date()
    appointments = board_appointments(user=request.user, location=location, day=day)
    return render(
        request,
        "kap_sessions/board_today.html",
        {
            "location": location,
            "day": day,
            "appointments": appointments,
            "time_zone": ZoneInfo(location.time_zone),
        },
    )


def _live_context(request: AuthenticatedRequest, location: Location) -> dict[str, Any]:
    now = timezone.now()
    rows = []
    for record in live_dosing_records(user=request.user, location=location):
        dosed = dosing.dosed_at(record)
        rows.append(
            {
                "record": record,
                "minutes_since_dose": dosing.monitoring_minutes(record, now=now) if dosed else None,
                "next_due": dosing.vitals_next_due(record, now=now),
            }
        )
    return {
        "location": location,
        "rows": rows,
        "now": now,
        "time_zone": ZoneInfo(location.time_zone),
        **board_monitoring_context(rows=rows, location=location, now=now),
    }


@permission_required("kap_sessions.view_dosingrecord")
def board_live(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    location = get_object_or_404(Location, uuid=location_uuid)
    return render(request, "kap_sessions/board_live.html", _live_context(request, location))


@permission_required("kap_sessions.view_dosingrecord")
def board_live_rows(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    """The rows of the live board, refreshed by htmx every 15 seconds."""
    location = get_object_or_404(Location, uuid=location_uuid)
    return render(request, "kap_sessions/board_live_rows.html", _live_context(request, location))


@permission_required("kap_sessions.add_appointment")
def availability(request: AuthenticatedRequest) -> HttpResponse:
    """The next free slots over 4 weeks for a kind of appointment, a patient and clinicians."""
    form = forms.AvailabilityForm(
        request.GET or None, patients=patients_visible_to(user=request.user)
    )
    slots = []
    if form.is_valid():
        location = form.cleaned_data["location"]
        slots = free_slots(
            kind=form.cleaned_data["kind"],
            patient=form.cleaned_data["patient"],
            location=location,
            duration=timedelta(minutes=form.cleaned_data["duration_minutes"]),
            medical_monitor=form.cleaned_data["medical_monitor"],
            therapist=form.cleaned_data["therapist"],
            start_day=timezone.now().astimezone(ZoneInfo(location.time_zone)).date(),
            not_before=timezone.now(),
        )
    # Each slot books in one click, into the patient's current course when there is one.
    course = (
        form.cleaned_data["patient"]
        .courses.filter(status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE])
        .first()
        if form.is_valid()
        else None
    )
    return render(
        request,
        "kap_sessions/availability.html",
        {
            "form": form,
            "slots": slots,
            "course": course,
            "can_book": request.user.has_perm("kap_sessions.add_appointment"),
        },
    )


# ------------------------------------------------------------------------------------------------
# Courses


@permission_required("kap_sessions.view_appointment")
def ready_to_schedule(request: AuthenticatedRequest) -> HttpResponse:
    """The landing panel's list of cleared patients without a course (loaded by htmx)."""
    from sessions.panels import patients_ready_to_schedule

    return render(
        request,
        "kap_sessions/ready_to_schedule.html",
        {"patients": patients_ready_to_schedule(request)},
    )


@permission_required("kap_sessions.view_appointment")
def patient_sessions(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """One patient's courses and appointments, where staff start a course or a booking."""
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="sessions")
    return render(
        request,
        "kap_sessions/patient_sessions.html",
        {
            "patient": patient,
            "is_cleared": patient_is_cleared(patient),
            "courses": patient.courses.select_related("protocol", "location"),
            "appointments": patient.appointments.select_related("room", "location"),
        },
    )


@permission_required("kap_sessions.add_course")
def course_create(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    form = forms.CourseForm(
        request.POST or None, patient=patient, sets_dose=request.user.role == Role.PRESCRIBER
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors = _errors(error)
        else:
            audit_record(action=AuditAction.CREATE, request=request, obj=course, detail="course")
            return redirect("sessions:course_plan", course.uuid)
    return render(
        request,
        "kap_sessions/course_create.html",
        {"patient": patient, "form": form, "errors": errors},
        status=400 if errors else 200,
    )


@permission_required("kap_sessions.view_course")
def course_detail(
    request: AuthenticatedRequest,
    course_uuid: UUID,
    *,
    sign_form: forms.PlanSignForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    course = course_get(user=request.user, course_uuid=course_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=course, detail="course")
    show_doses = request.user.has_perm("kap_sessions.view_dose")
    can_sign = request.user.role == Role.PRESCRIBER and course.status in (
        CourseStatus.PLANNED,
        CourseStatus.ACTIVE,
    )
    return render(
        request,
        "kap_sessions/course_detail.html",
        {
            "course": course,
            "appointments": course.appointments.select_related("room", "location"),
            "cumulative_dose_mg": course_cumulative_dose_mg(course) if show_doses else None,
            "sign_form": (
                sign_form
                or forms.PlanSignForm(
                    initial={"protocol": course.protocol, "planned_dose": course.planned_dose}
                )
            )
            if can_sign
            else None,
            "errors": errors or [],
        },
        status=400 if errors else 200,
    )


@require_POST
@permission_required("kap_sessions.view_course")
def course_plan_sign(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """The prescriber sets the dose and signs the treatment plan, after a confirmation step."""
    course = course_get(user=request.user, course_uuid=course_uuid)
    if request.user.role != Role.PRESCRIBER:
        raise PermissionDenied("Only a prescriber signs the treatment plan.")
    form = forms.PlanSignForm(request.POST)
    if not form.is_valid():
        return course_detail(
            request, course_uuid, sign_form=form, errors=["Check the highlighted fields."]
        )
    protocol = form.cleaned_data["protocol"]
    confirm = confirmation_required(
        request,
        title="Sign this treatment plan?",
        consequence=(
            f"{course.patient.display_name}: {protocol.name}, planned dose "
            f"{form.cleaned_data['planned_dose']} {protocol.dose_unit}, signed by you. "
            "Doses may start once the plan is signed."
        ),
        confirm_label="Sign the treatment plan",
        back_url=reverse("sessions:course_detail", args=[course.uuid]),
        danger=False,
    )
    if confirm is not None:
        return confirm
    try:
        services.course_plan_sign(
            course=course,
            protocol=protocol,
            planned_dose=form.cleaned_data["planned_dose"],
            by=request.user,
        )
    except ValidationError as error:
        return course_detail(request, course_uuid, sign_form=form, errors=_errors(error))
    messages.success(request, "Treatment plan signed.")
    return redirect("sessions:course_detail", course.uuid)


def _proposal_initial(proposal: services.ProposedAppointment, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "include": True,
        "kind": proposal.kind,
        "starts_at": proposal.starts_at.astimezone(zone),
        "ends_at": proposal.ends_at.astimezone(zone),
        "room": proposal.room,
    }


@permission_required("kap_sessions.add_appointment")
def course_plan_view(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """Proposes the course's appointments from availability; staff adjust, then confirm."""
    course = course_get(user=request.user, course_uuid=course_uuid)
    zone = ZoneInfo(course.location.time_zone)
    errors: list[str] = []
    warnings: list[str] = []
    with timezone.override(zone):
        if request.method == "POST":
            formset = forms.ProposalFormSet(request.POST)
            if formset.is_valid():
                proposals = [
                    services.ProposedAppointment(
                        kind=data["kind"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        room=data["room"],
                        medical_monitor=course.prescriber if data["kind"] == "dosing" else None,
                        therapist=course.therapist,
                    )
                    for data in formset.cleaned_data
                    if data.get("include")
                ]
                try:
                    services.course_confirm(course=course, proposals=proposals, by=request.user)
                except ValidationError as error:
                    errors = _errors(error)
                else:
                    audit_record(
                        action=AuditAction.UPDATE,
                        request=request,
                        obj=course,
                        detail=f"course confirmed, {len(proposals)} appointments",
                    )
                    messages.success(request, f"Booked {len(proposals)} appointments.")
                    if course.protocol.drug == Drug.ESKETAMINE and not rems_enrolment_of(
                        course.patient
                    ):
                        messages.warning(
                            request,
                            f"{course.patient.display_name} is not enrolled in the esketamine "
                            "REMS: record the REMS enrolment before the first dosing session, "
                            "or the dose cannot start.",
                        )
                    for notice in services.course_booking_warnings(course):
                        messages.warning(request, notice.text)
                    return redirect("sessions:course_detail", course.uuid)
        else:
            plan = course_plan(course=course)
            warnings = plan.warnings
            formset = forms.ProposalFormSet(
                initial=[_proposal_initial(p, zone) for p in plan.proposals]
            )
        for form in formset:
            form.fields["room"].queryset = course.location.rooms.filter(  # type: ignore[attr-defined]
                is_active=True
            )
        return render(
            request,
            "kap_sessions/course_plan.html",
            {
                "course": course,
                "formset": formset,
                "errors": errors,
                "warnings": warnings,
                "booking_warnings": services.course_booking_warnings(course),
            },
            status=400 if errors else 200,
        )


# ------------------------------------------------------------------------------------------------
# Appointments


@permission_required("kap_sessions.add_appointment")
def appointment_book(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = patient_get(user=request.user, patient_uuid=patient_uuid)
    errors: list[str] = []
    form = forms.AppointmentForm(
        request.POST or None, patient=patient, may_override=_may_override(request)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        zone = ZoneInfo(data["room"].location.time_zone)
        starts_at = data["starts_at"].replace(tzinfo=None).replace(tzinfo=zone)
        try:
            appointment = services.appointment_book(
                patient=patient,
                kind=data["kind"],
                room=data["room"],
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=data["duration_minutes"]),
                course=data["course"],
                medical_monitor=data["medical_monitor"],
                therapist=data["therapist"],
                telehealth_url=data["telehealth_url"],
                override_reason=data.get("override_reason", ""),
                schedule_rules=True,
                by=request.user,
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            audit_record(
                action=AuditAction.CREATE,
                request=request,
                obj=appointment,
                detail="appointment booked",
            )
            rems_warning = rems_booking_warning(appointment)
            if rems_warning:
                messages.warning(request, rems_warning)
            return redirect("sessions:appointment_detail", appointment.uuid)
    return render(
        request,
        "kap_sessions/appointment_book.html",
        {"patient": patient, "form": form, "errors": errors},
        status=400 if errors else 200,
    )


def _appointment_page(
    request: AuthenticatedRequest,
    appointment: Appointment,
    *,
    errors: list[str] | None = None,
    reschedule_form: forms.RescheduleForm | None = None,
    cancel_form: forms.CancelForm | None = None,
) -> HttpResponse:
    zone = ZoneInfo(appointment.location.time_zone)
    record = DosingRecord.objects.filter(appointment=appointment).first()
    return render(
        request,
        "kap_sessions/appointment_detail.html",
        {
            "appointment": appointment,
            "time_zone": zone,
            "record": record,
            "links": appointment_links(appointments=[appointment], user=request.user).get(
                appointment.pk, []
            ),
            "can_change": request.user.has_perm("kap_sessions.change_appointment"),
            "can_see_dosing": request.user.has_perm("kap_sessions.view_dosingrecord"),
            "reschedule_form": reschedule_form
            or forms.RescheduleForm(
                may_override=_may_override(request),
                initial={
                    "starts_at": appointment.starts_at.astimezone(zone),
                    "duration_minutes": int(
                        (appointment.ends_at - appointment.starts_at).total_seconds() // 60
                    ),
                },
            ),
            "cancel_form": cancel_form or forms.CancelForm(),
            "errors": errors or [],
            "statuses": AppointmentStatus,
            "can_undo_no_show": services.no_show_undoable(appointment),
            "rems_warning": "" if request.user.is_patient else rems_booking_warning(appointment),
        },
        status=400 if errors else 200,
    )


@login_required
def appointment_detail(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=appointment, detail="appointment")
    return _appointment_page(request, appointment)


@require_POST
@permission_required("kap_sessions.change_appointment")
def appointment_cancel(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    form = forms.CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the appointment is cancelled.")
        confirm = confirmation_required(
            request,
            title="Cancel this appointment?",
            consequence=(
                f"The {appointment.get_kind_display().lower()} session of "
                f"{appointment.patient.display_name} on "
                f"{appointment.local_starts_at:%A %-d %B at %H:%M} will be cancelled: its room "
                "and clinicians are freed, the patient is told and their reminders are withdrawn. "
                "This cannot be undone; a new booking would be needed."
            ),
            confirm_label="Cancel the appointment",
            back_url=reverse("sessions:appointment_detail", args=[appointment.uuid]),
        )
        if confirm is not None:
            return confirm
        services.appointment_cancel(
            appointment=appointment, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as error:
        return _appointment_page(request, appointment, errors=_errors(error), cancel_form=form)
    audit_record(action=AuditAction.UPDATE, request=request, obj=appointment, detail="cancelled")
    messages.success(request, "Appointment cancelled; the patient's reminders are withdrawn.")
    return redirect("sessions:appointment_detail", appointment.uuid)


@require_POST
@permission_required("kap_sessions.change_appointment")
def appointment_reschedule(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    zone = ZoneInfo(appointment.location.time_zone)
    with timezone.override(zone):
        form = forms.RescheduleForm(request.POST, may_override=_may_override(request))
        valid = form.is_valid()
    try:
        if not valid:
            raise ValidationError("Give a new start and a duration.")
        starts_at = form.cleaned_data["starts_at"]
        services.appointment_reschedule(
            appointment=appointment,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=form.cleaned_data["duration_minutes"]),
            room=form.cleaned_data.get("room"),
            override_reason=form.cleaned_data.get("override_reason", ""),
            by=request.user,
        )
    except ValidationError as error:
        return _appointment_page(request, appointment, errors=_errors(error), reschedule_form=form)
    audit_record(action=AuditAction.UPDATE, request=request, obj=appointment, detail="moved")
    messages.success(request, "Appointment moved; the patient's reminders follow it.")
    return redirect("sessions:appointment_detail", appointment.uuid)


@require_POST
@permission_required("kap_sessions.change_appointment")
def appointment_status(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    """Check-in without the dosing checklist, start, complete, no-show."""
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    status = request.POST.get("status", "")
    if status == AppointmentStatus.NO_SHOW:
        confirm = confirmation_required(
            request,
            title="Mark as a no-show?",
            consequence=(
                f"{appointment.patient.display_name} will be recorded as not attending this "
                "session and their reminders for it are withdrawn. You can undo this until the "
                "end of the session's day."
            ),
            confirm_label="Mark as a no-show",
            back_url=reverse("sessions:appointment_detail", args=[appointment.uuid]),
        )
        if confirm is not None:
            return confirm
    try:
        if status == AppointmentStatus.CHECKED_IN:
            services.appointment_check_in(appointment=appointment, by=request.user)
        else:
            services.appointment_status_set(appointment=appointment, status=status, by=request.user)
    except ValidationError as error:
        return _appointment_page(request, appointment, errors=_errors(error))
    audit_record(
        action=AuditAction.UPDATE, request=request, obj=appointment, detail=f"status {status}"
    )
    return redirect("sessions:appointment_detail", appointment.uuid)


@require_POST
@permission_required("kap_sessions.change_appointment")
def appointment_no_show_undo(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    try:
        services.appointment_no_show_undo(appointment=appointment, by=request.user)
    except ValidationError as error:
        return _appointment_page(request, appointment, errors=_errors(error))
    messages.success(request, "The no-show is undone; the appointment is booked again.")
    return redirect("sessions:appointment_detail", appointment.uuid)


# ------------------------------------------------------------------------------------------------
# Readiness


@role_required(Role.PATIENT)
def readiness_patient(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    """The patient's part of the readiness checklist, online before a dosing session."""
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    if not appointment.is_dosing:
        raise PermissionDenied
    readiness = dosing.readiness_for(appointment)
    zone = ZoneInfo(appointment.patient.time_zone)
    errors: list[str] = []
    with timezone.override(zone):
        if request.method == "POST":
            form = forms.ReadinessPatientForm(request.POST)
            if form.is_valid():
                try:
                    dosing.readiness_patient_submit(
                        readiness=readiness, by=request.user, **form.cleaned_data
                    )
                except ValidationError as error:
                    errors = _errors(error)
                else:
                    messages.success(request, "Thank you: your answers are with the clinic.")
                    return redirect("accounts:portal")
        else:
            form = forms.ReadinessPatientForm(
                initial={
                    name: getattr(readiness, name)
                    for name in forms.ReadinessPatientForm.base_fields
                }
                if readiness.patient_part_done
                else None
            )
        return render(
            request,
            "kap_sessions/readiness_patient.html",
            {"appointment": appointment, "form": form, "errors": errors, "time_zone": zone},
            status=400 if errors else 200,
        )


@permission_required("kap_sessions.change_appointment")
def check_in(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    """Staff part of readiness at check-in; checks the appointment in."""
    appointment = appointment_get(user=request.user, appointment_uuid=appointment_uuid)
    if request.user.role == Role.CLINIC_ADMIN:
        raise PermissionDenied
    errors: list[str] = []
    if not appointment.is_dosing:
        # Only a dosing session has a readiness checklist; the rest just check in.
        if request.method == "POST":
            try:
                services.appointment_check_in(appointment=appointment, by=request.user)
            except ValidationError as error:
                return _appointment_page(request, appointment, errors=_errors(error))
            audit_record(
                action=AuditAction.UPDATE, request=request, obj=appointment, detail="checked in"
            )
            messages.success(request, "Checked in.")
            return redirect("sessions:appointment_detail", appointment.uuid)
        return render(request, "kap_sessions/check_in.html", {"appointment": appointment})
    readiness = dosing.readiness_for(appointment)
    form = forms.ReadinessStaffForm(
        request.POST or None,
        initial=forms.ReadinessStaffForm.initial_from(readiness),
        weight_change_percent=DosingPolicy.current().weight_change_percent,
    )
    zone = ZoneInfo(appointment.location.time_zone)
    if request.method == "POST":
        with timezone.override(zone):
            valid = form.is_valid()
        if valid:
            try:
                dosing.dosing_check_in(
                    readiness=readiness, by=request.user, **form.readiness_checks()
                )
            except ValidationError as error:
                errors = _errors(error)
            else:
                messages.success(request, "Checked in.")
                return redirect("sessions:appointment_detail", appointment.uuid)
        else:
            errors = ["Check the highlighted fields."]
    # The page shows the patient's readiness answers (escort, medications): a read of the record.
    audit_record(action=AuditAction.READ, request=request, obj=readiness, detail="readiness")
    with timezone.override(zone):
        return render(
            request,
            "kap_sessions/check_in.html",
            {
                "appointment": appointment,
                "readiness": readiness,
                "form": form,
                "errors": errors,
                "no_go": dosing.readiness_no_go(readiness),
                "check_in_opens_at": dosing.check_in_opens_at(appointment),
                "time_zone": zone,
            },
            status=400 if errors else 200,
        )


# ------------------------------------------------------------------------------------------------
# The dosing record


def _dosing_page(
    request: AuthenticatedRequest,
    record: DosingRecord,
    *,
    errors: list[str] | None = None,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    appointment = record.appointment
    zone = ZoneInfo(appointment.location.time_zone)
    now = timezone.now()
    local_now = now.astimezone(zone).replace(second=0, microsecond=0)
    blank = {
        "override_form": forms.OverrideForm(),
        "abandon_form": forms.AbandonForm(),
        "dose_form": forms.DoseForm(initial={"started_at": local_now, "ended_at": local_now}),
        "medication_form": forms.OtherMedicationForm(initial={"given_at": local_now}),
        "vitals_form": forms.VitalsForm(initial={"taken_at": local_now}),
        "scores_form": forms.ScoresForm(initial={"taken_at": local_now}),
        "observation_form": forms.ObservationForm(initial={"observed_at": local_now}),
        "adverse_event_form": forms.AdverseEventForm(initial={"occurred_at": local_now}),
    }
    proposals = dosing.concomitant_proposals(record)
    blank["discharge_form"] = forms.DischargeForm(
        initial={
            "ready_to_leave_at": local_now,
            **{field: bool(found) for field, found in proposals.items()},
        }
    )
    blank.update(bound or {})
    _dose_form_lots(blank["dose_form"], record)
    readiness = dosing.readiness_for(appointment)
    course = record.course
    in_progress = record.status == DosingStatus.IN_PROGRESS
    if in_progress:
        _discharge_form_for(blank["discharge_form"], record, readiness, proposals, now=now)
    context = {
        "record": record,
        "appointment": appointment,
        "protocol": course.protocol,
        "readiness": readiness,
        "no_go": dosing.readiness_no_go(readiness),
        "dosing_not_allowed": dosing.dosing_allowed_problems(appointment),
        "discharge_problems": dosing.discharge_problems(record, now=now) if in_progress else [],
        "missed_vitals": dosing.missed_vitals(record, now=now) if in_progress else [],
        "schedule": dosing.vitals_schedule(record, now=now),
        "next_due": dosing.vitals_next_due(record, now=now),
        "minutes_since_dose": dosing.monitoring_minutes(record, now=now),
        "session_dose_mg": dosing.session_dose_mg(record),
        "cumulative_dose_mg": course_cumulative_dose_mg(course),
        "can_see_doses": request.user.has_perm("kap_sessions.view_dose"),
        "can_administer": request.user.has_perm("kap_sessions.administer_dose"),
        "can_monitor": request.user.has_perm("kap_sessions.record_monitoring"),
        "in_progress": in_progress,
        "errors": errors or [],
        "time_zone": zone,
        **dosing_page_context(user=request.user, record=record, now=now, zone=zone),
        **blank,
    }
    return render(
        request, "kap_sessions/dosing_record.html", context, status=400 if errors else 200
    )


def _dose_form_lots(form: Any, record: DosingRecord) -> None:
    """Where the location keeps the drug in the ledger the dose names a lot from its safes;
    elsewhere the lot number is typed."""
    location_id, drug = record.appointment.location_id, record.course.protocol.drug
    if ledger_services.ledger_in_use(location_id=location_id, drug=drug):
        form.fields["stock_lot"].queryset = ledger_services.lots_for_dose(
            location_id=location_id, drug=drug
        )
        form.fields.pop("lot_number", None)
    else:
        form.fields.pop("stock_lot", None)


def _discharge_form_for(
    form: Any,
    record: DosingRecord,
    readiness: Readiness,
    proposals: dict[str, list[str]],
    *,
    now: datetime,
) -> Any:
    """Only the discharge questions this session raises: the baseline judgement without a
    baseline, the acknowledgement with missed vitals; each REMS medicine shows its proposals."""
    if readiness.baseline_systolic is not None and readiness.baseline_diastolic is not None:
        form.fields.pop("baseline_missing_judgement", None)
    if not dosing.missed_vitals(record, now=now):
        form.fields.pop("missed_vitals_acknowledged", None)
    for field, found in proposals.items():
        if found and field in form.fields:
            form.fields[field].help_text = "Proposed from: " + ", ".join(found)
            # A bound form has already built its bound fields, which copy the help text.
            form._bound_fields_cache.pop(field, None)
    return form


@permission_required("kap_sessions.view_dosingrecord")
def dosing_record_detail(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=record, detail="dosing record")
    return _dosing_page(request, record)


@permission_required("kap_sessions.view_dosingrecord")
def dosing_record_pdf(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    audit_record(action=AuditAction.EXPORT, request=request, obj=record, detail="dosing PDF")
    appointment = record.appointment
    return pdf_response(
        request,
        "kap_sessions/pdf/dosing_record.html",
        {
            "record": record,
            "appointment": appointment,
            "patient": appointment.patient,
            "can_see_doses": request.user.has_perm("kap_sessions.view_dose"),
        },
        filename=f"dosing-{appointment.patient.mrn}-{appointment.starts_at:%Y%m%d}.pdf",
    )


Action = Callable[[AuthenticatedRequest, DosingRecord, dict[str, Any]], object]


def _dosing_action(
    request: AuthenticatedRequest,
    record_uuid: UUID,
    *,
    form_class: type[Any] | None,
    form_name: str,
    action: Action,
    detail: str,
) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    zone = ZoneInfo(record.appointment.location.time_zone)
    with timezone.override(zone):
        form = form_class(request.POST) if form_class else None
        valid = form.is_valid() if form is not None else True
    try:
        if not valid:
            raise ValidationError("Check the highlighted fields.")
        action(request, record, form.cleaned_data if form is not None else {})
    except ValidationError as error:
        bound = {form_name: form} if form is not None else {}
        return _dosing_page(request, record, errors=_errors(error), bound=bound)
    # The service recorded the audit row ("detail") in its own transaction.
    return redirect("sessions:dosing_record", record.uuid)


def _post_action(
    permission: str, form_class: type[Any] | None, form_name: str, detail: str
) -> Callable[[Action], Callable[..., HttpResponse]]:
    def decorator(action: Action) -> Callable[..., HttpResponse]:
        @require_POST
        @permission_required(permission)
        def view(request: AuthenticatedRequest, record_uuid: UUID) -> HttpResponse:
            return _dosing_action(
                request,
                record_uuid,
                form_class=form_class,
                form_name=form_name,
                action=action,
                detail=detail,
            )

        view.__name__ = action.__name__
        return view

    return decorator


@_post_action("kap_sessions.administer_dose", forms.OverrideForm, "override_form", "no-go override")
def dosing_override(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.readiness_override(
        readiness=dosing.readiness_for(record.appointment),
        code=data["code"],
        reason=data["reason"],
        by=request.user,
    )


@_post_action("kap_sessions.administer_dose", forms.AbandonForm, "abandon_form", "not dosed")
def dosing_abandon(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.dosing_abandon(record=record, reason=data["reason"], by=request.user)


@_post_action("kap_sessions.administer_dose", None, "", "session started")
def dosing_start(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.dosing_start(record=record, by=request.user)


@_post_action("kap_sessions.administer_dose", forms.DoseForm, "dose_form", "dose recorded")
def dose_add(request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]) -> object:
    return dosing.dose_administer(record=record, by=request.user, **data)


@_post_action(
    "kap_sessions.administer_dose",
    forms.OtherMedicationForm,
    "medication_form",
    "other medicine recorded",
)
def medication_add(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.other_medication_record(record=record, by=request.user, **data)


@_post_action("kap_sessions.record_monitoring", forms.VitalsForm, "vitals_form", "vitals recorded")
def vitals_add(request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]) -> object:
    return dosing.vitals_record(record=record, by=request.user, **data)


@_post_action("kap_sessions.record_monitoring", forms.ScoresForm, "scores_form", "scores recorded")
def scores_add(request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]) -> object:
    cadss = {
        int(name.rsplit("_", 1)[1]): value
        for name, value in data.items()
        if name.startswith("cadss_item_")
    }
    return dosing.scores_record(
        record=record, taken_at=data["taken_at"], moaas=data["moaas"], cadss=cadss, by=request.user
    )


@_post_action(
    "kap_sessions.record_monitoring",
    forms.ObservationForm,
    "observation_form",
    "observation recorded",
)
def observation_add(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.observation_record(record=record, by=request.user, **data)


@_post_action(
    "kap_sessions.record_monitoring",
    forms.AdverseEventForm,
    "adverse_event_form",
    "adverse event recorded",
)
def adverse_event_add(
    request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]
) -> object:
    return dosing.adverse_event_record(record=record, by=request.user, **data)


@_post_action("kap_sessions.administer_dose", forms.DischargeForm, "discharge_form", "discharged")
def discharge(request: AuthenticatedRequest, record: DosingRecord, data: dict[str, Any]) -> object:
    return dosing.dosing_discharge(record=record, by=request.user, **data)


@require_POST
@permission_required("kap_sessions.record_monitoring")
def medication_explained(
    request: AuthenticatedRequest, record_uuid: UUID, medication_uuid: UUID
) -> HttpResponse:
    record = dosing_record_get(user=request.user, record_uuid=record_uuid)
    medication = get_object_or_404(OtherMedication, dosing_record=record, uuid=medication_uuid)
    dosing.other_medication_explained(medication=medication, by=request.user)
    return redirect("sessions:dosing_record", record.uuid)
