"""Pages of the integration app: notes, psychotherapy notes, reflections."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake.instruments import INSTRUMENTS, PHQ9
from intake.models import Patient
from integration import clinic_outcomes as clinic_outcomes_module
from integration import measures, outcomes, panels, ratings, services, summary
from integration.deterioration import flags_for_clinician
from integration.forms import MadrsForm
from integration.models import (
    MeasureRequest,
    Note,
    NoteKind,
    PsychotherapyNote,
    Reflection,
    ReflectionPrompt,
)
from integration.practices.models import CoursePhase, PracticeProgramme
from integration.practices.selectors import course_adherence
from integration.selectors import (
    notes_visible_to,
    psychotherapy_notes_of,
    reflections_of_patient_user,
    reflections_shared_with,
)
from integration.supervision.selectors import note_review_context
from kap_clinic.accounts.access import AuthenticatedRequest, get_visible_or_404, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.confirm import confirmation_required
from kap_clinic.pagination import paginate
from kap_clinic.pdf import pdf_response
from sessions.models import Appointment, AppointmentStatus, Course, CourseStatus, Protocol


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _note_or_404(request: AuthenticatedRequest, note_uuid: UUID) -> Note:
    return get_object_or_404(notes_visible_to(user=request.user), uuid=note_uuid)


# --- progress notes -------------------------------------------------------------------------------


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def appointment_note(request: AuthenticatedRequest, appointment_uuid: UUID) -> HttpResponse:
    """Opens the clinician's note of an appointment; a POST starts it from the template."""
    appointment = get_visible_or_404(
        Appointment.objects.select_related("patient"),
        user=request.user,
        patient_path="patient__",
        uuid=appointment_uuid,
    )
    if appointment.kind not in NoteKind.values:
        raise Http404
    note = Note.objects.filter(appointment=appointment, author=request.user).first()
    if note is not None:
        return redirect("integration:note_detail", note_uuid=note.uuid)
    if request.method == "POST":
        try:
            note = services.note_start(appointment=appointment, by=request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            audit_record(
                action=AuditAction.CREATE, request=request, obj=note, detail="note started"
            )
            return redirect("integration:note_detail", note_uuid=note.uuid)
    return render(request, "integration/note_start.html", {"appointment": appointment})


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_detail(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = _note_or_404(request, note_uuid)
    audit_record(action=AuditAction.READ, request=request, obj=note, detail="note viewed")
    return _note_page(request, note)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_pdf(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = _note_or_404(request, note_uuid)
    audit_record(action=AuditAction.EXPORT, request=request, obj=note, detail="note PDF")
    return pdf_response(
        request,
        "integration/pdf/note.html",
        {"note": note, "patient": note.patient, "addenda": note.addenda.select_related("author")},
        filename=f"note-{note.patient.mrn}-{note.appointment.starts_at:%Y%m%d}.pdf",
    )


def _note_page(
    request: AuthenticatedRequest,
    note: Note,
    *,
    body: str | None = None,
    error: str = "",
    addendum_body: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "note": note,
        "body": note.body if body is None else body,
        "error": error,
        "addendum_body": addendum_body,
        "addenda": note.addenda.select_related("author"),
        "is_author": note.author_id == request.user.pk,
        "can_cosign": note.is_signed
        and note.cosigned_at is None
        and note.cosignature_required_from_id == request.user.pk,
        "review": note_review_context(note=note, user=request.user),
    }
    return render(request, "integration/note_detail.html", context, status=status)


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_autosave(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    """htmx: saves the draft and answers with the save status; the textarea is never swapped."""
    note = _note_or_404(request, note_uuid)
    try:
        note = services.note_draft_save(
            note=note, body=request.POST.get("body", ""), by=request.user
        )
    except ValidationError as error:
        return render(
            request, "integration/_save_status.html", {"error": _errors(error)}, status=200
        )
    audit_record(action=AuditAction.UPDATE, request=request, obj=note, detail="note draft saved")
    return render(request, "integration/_save_status.html", {"note": note})


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_save(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    """The form's own buttons (without JavaScript too): save the draft, or save and sign."""
    note = _note_or_404(request, note_uuid)
    body = request.POST.get("body", "")
    try:
        note = services.note_draft_save(note=note, body=body, by=request.user)
        audit_record(action=AuditAction.UPDATE, request=request, obj=note, detail="note saved")
        if "sign" in request.POST:
            # The draft is saved either way; signing waits for the confirmation step.
            confirm = confirmation_required(
                request,
                title="Sign this note?",
                consequence=(
                    "Signing locks the note in the patient's record: its text can no longer be "
                    "changed, and later corrections are added as signed addenda."
                ),
                confirm_label="Sign the note",
                back_url=reverse("integration:note_detail", args=[note.uuid]),
                danger=False,
            )
            if confirm is not None:
                return confirm
            note = services.note_sign(note=note, by=request.user)
            audit_record(action=AuditAction.UPDATE, request=request, obj=note, detail="note signed")
            messages.success(request, "Note signed.")
        else:
            messages.success(request, "Draft saved.")
    except ValidationError as error:
        note.refresh_from_db()
        return _note_page(request, note, body=body, error=_errors(error), status=400)
    return redirect("integration:note_detail", note_uuid=note.uuid)


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_cosign(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = _note_or_404(request, note_uuid)
    try:
        note = services.note_cosign(note=note, by=request.user)
    except ValidationError as error:
        return _note_page(request, note, error=_errors(error), status=400)
    audit_record(action=AuditAction.UPDATE, request=request, obj=note, detail="note co-signed")
    messages.success(request, "Note co-signed.")
    return redirect("integration:note_detail", note_uuid=note.uuid)


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_addendum(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = _note_or_404(request, note_uuid)
    body = request.POST.get("addendum", "")
    try:
        addendum = services.note_addendum_add(note=note, body=body, by=request.user)
    except ValidationError as error:
        return _note_page(request, note, error=_errors(error), addendum_body=body, status=400)
    audit_record(action=AuditAction.CREATE, request=request, obj=addendum, detail="addendum signed")
    messages.success(request, "Addendum signed.")
    return redirect("integration:note_detail", note_uuid=note.uuid)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def patient_notes(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """The chart's notes (progress notes only; psychotherapy notes are never listed here)."""
    patient = get_visible_or_404(Patient.objects.all(), user=request.user, uuid=patient_uuid)
    notes = notes_visible_to(user=request.user).filter(patient=patient).order_by("-created_at")
    page = paginate(request, notes)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="notes listed")
    return render(request, "integration/note_list.html", {"patient": patient, **page})


# --- psychotherapy notes (author only; every other user gets 404) ---------------------------


@login_required
def psychotherapy_note_list(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    if request.user.role != Role.THERAPIST:
        raise Http404
    patient = get_visible_or_404(Patient.objects.all(), user=request.user, uuid=patient_uuid)
    error = ""
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            created = services.psychotherapy_note_create(
                patient=patient, body=body, by=request.user
            )
        except ValidationError as caught:
            error = _errors(caught)
        else:
            return redirect(
                "integration:psychotherapy_note_list", patient_uuid=created.patient.uuid
            )
    notes = psychotherapy_notes_of(user=request.user).filter(patient=patient)
    page = paginate(request, notes)
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=patient,
        detail="own psychotherapy notes listed",
    )
    return render(
        request,
        "integration/psychotherapy_note_list.html",
        {"patient": patient, "error": error, "body": body, **page},
        status=400 if error else 200,
    )


@login_required
def psychotherapy_note_detail(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note: PsychotherapyNote = get_object_or_404(
        psychotherapy_notes_of(user=request.user), uuid=note_uuid
    )
    error = ""
    body = note.body
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            note = services.psychotherapy_note_update(note=note, body=body, by=request.user)
        except ValidationError as caught:
            error = _errors(caught)
        else:
            messages.success(request, "Saved.")
            return redirect("integration:psychotherapy_note_detail", note_uuid=note.uuid)
    audit_record(
        action=AuditAction.READ, request=request, obj=note, detail="psychotherapy note viewed"
    )
    return render(
        request,
        "integration/psychotherapy_note_detail.html",
        # Earlier versions: the queryset above already limits the page to the note's author.
        {"note": note, "body": body, "error": error, "versions": note.versions.all()},
        status=400 if error else 200,
    )


# --- reflections ----------------------------------------------------------------------------------


def _prompt_from(prompts: QuerySet[ReflectionPrompt], value: str) -> ReflectionPrompt | None:
    try:
        return prompts.filter(uuid=UUID(value)).first()
    except ValueError:
        return None


@role_required(Role.PATIENT)
def reflection_list(request: AuthenticatedRequest) -> HttpResponse:
    patient = get_object_or_404(Patient, user=request.user)
    prompts = ReflectionPrompt.objects.filter(is_active=True)
    error = ""
    text = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        prompt = _prompt_from(prompts, request.POST.get("prompt", ""))
        try:
            reflection = services.reflection_write(
                patient=patient,
                text=text,
                shared_with_therapist=request.POST.get("shared") == "on",
                prompt=prompt,
                by=request.user,
            )
        except ValidationError as caught:
            error = _errors(caught)
        else:
            audit_record(
                action=AuditAction.CREATE, request=request, obj=reflection, detail="reflection"
            )
            messages.success(request, "Reflection saved.")
            return redirect("integration:reflection_list")
    page = paginate(request, reflections_of_patient_user(user=request.user))
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="own reflections")
    return render(
        request,
        "integration/reflection_list.html",
        {"prompts": prompts, "error": error, "text": text, **page},
        status=400 if error else 200,
    )


@require_POST
@role_required(Role.PATIENT)
def reflection_share(request: AuthenticatedRequest, reflection_uuid: UUID) -> HttpResponse:
    reflection: Reflection = get_object_or_404(
        reflections_of_patient_user(user=request.user).select_related("patient"),
        uuid=reflection_uuid,
    )
    services.reflection_share(
        reflection=reflection, shared=request.POST.get("shared") == "on", by=request.user
    )
    audit_record(action=AuditAction.UPDATE, request=request, obj=reflection, detail="sharing")
    messages.success(request, "Sharing updated.")
    return redirect("integration:reflection_list")


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_integration(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """The therapist's view of a course: its notes and the reflections shared with them."""
    course = get_visible_or_404(
        Course.objects.select_related("patient", "protocol"),
        user=request.user,
        patient_path="patient__",
        uuid=course_uuid,
    )
    notes = notes_visible_to(user=request.user).filter(course=course).order_by("created_at")
    reflections = reflections_shared_with(user=request.user).filter(patient=course.patient)
    appointments = course.appointments.filter(kind__in=NoteKind.values).exclude(
        status=AppointmentStatus.CANCELLED
    )
    audit_record(action=AuditAction.READ, request=request, obj=course, detail="course integration")
    return render(
        request,
        "integration/course_integration.html",
        {
            "course": course,
            "notes": notes,
            "reflections": reflections,
            "appointments": appointments,
            "adherence": course_adherence(course, today=timezone.localdate()),
            "programmes": PracticeProgramme.objects.filter(is_active=True),
            "phases": CoursePhase.choices,
            "today": timezone.localdate(),
        },
    )


# --- outcome measures -----------------------------------------------------------------------------


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_measures_plan(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    course = get_visible_or_404(
        Course.objects.all(), user=request.user, patient_path="patient__", uuid=course_uuid
    )
    planned = measures.measures_plan(course=course)
    audit_record(action=AuditAction.UPDATE, request=request, obj=course, detail="measures planned")
    messages.success(request, f"{len(planned)} measures scheduled.")
    return redirect("integration:course_integration", course_uuid=course.uuid)


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_measure_enter(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """A clinician fills a measure in session: the MADRS, or the patient's answers on their
    behalf (recorded as such); an open questionnaire of the course is closed by it."""
    course = _course_for_clinician(request, course_uuid)
    open_measures = list(
        MeasureRequest.objects.filter(course=course, answered_at__isnull=True).order_by("due_at")
    )
    chosen_request = next(
        (m for m in open_measures if str(m.uuid) == request.GET.get("request", "")), None
    )
    instrument_key = (
        chosen_request.instrument_key
        if chosen_request
        else request.GET.get("instrument", measures.MADRS.key)
    )
    if instrument_key not in measures.ENTERABLE:
        instrument_key = measures.MADRS.key
    instrument = INSTRUMENTS[instrument_key]
    error = ""
    answers: dict[str, str] = {}
    if request.method == "POST":
        answers = {item.key: request.POST.get(item.key, "") for item in instrument.items}
        try:
            measures.measure_enter(
                course=course,
                instrument_key=instrument_key,
                answers=answers,
                by=request.user,
                measure=chosen_request,
            )
        except ValidationError as caught:
            error = _errors(caught)
        else:
            messages.success(request, f"{instrument.name} recorded.")
            return redirect("integration:course_trends", course_uuid=course.uuid)
    items = [(item, answers.get(item.key, "")) for item in instrument.items]
    return render(
        request,
        "integration/measure_enter.html",
        {
            "course": course,
            "instrument": instrument,
            "instrument_key": instrument_key,
            "instruments": [(key, INSTRUMENTS[key].name) for key in measures.ENTERABLE],
            "chosen_request": chosen_request,
            "open_measures": [(m, INSTRUMENTS[m.instrument_key].name) for m in open_measures],
            "items": items,
            "error": error,
        },
        status=400 if error else 200,
    )


@role_required(Role.PATIENT)
def measure_answer(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """A patient answers one measure from their link: once, before it expires."""
    try:
        measure = measures.measure_from_token(token, user=request.user)
    except ValidationError as closed:
        return render(
            request, "integration/measure_closed.html", {"error": _errors(closed)}, status=410
        )
    instrument = INSTRUMENTS[measure.instrument_key]
    error = ""
    answers: dict[str, str] = {}
    if request.method == "POST":
        answers = {item.key: request.POST.get(item.key, "") for item in instrument.items}
        try:
            response = measures.measure_answer(token=token, answers=answers, by=request.user)
        except ValidationError as caught:
            error = _errors(caught)
        else:
            audit_record(
                action=AuditAction.CREATE, request=request, obj=response, detail="measure answered"
            )
            return render(request, "integration/measure_done.html", {"instrument": instrument})
    audit_record(action=AuditAction.READ, request=request, obj=measure, detail="measure opened")
    items = [(item, answers.get(item.key, "")) for item in instrument.items]
    return render(
        request,
        "integration/measure_answer.html",
        {"measure": measure, "instrument": instrument, "items": items, "error": error},
        status=400 if error else 200,
    )


# --- trends and outcomes --------------------------------------------------------------------------


@login_required
def patient_trends(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    """The patient's charts: their care team's clinicians, and the patient themself."""
    if not (request.user.is_patient or request.user.has_perm("intake.view_clinical_record")):
        raise Http404
    if request.user.is_front_desk:
        raise Http404
    patient = get_visible_or_404(Patient.objects.all(), user=request.user, uuid=patient_uuid)
    # A patient reads their own charts in their own zone; staff in the clinic's.
    zone = patient.time_zone if request.user.is_patient else ""
    trends, results = outcomes.patient_trends(patient, time_zone=zone)
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail="trends viewed")
    return render(
        request,
        "integration/patient_trends.html",
        {"patient": patient, "trends": trends, "results": results},
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_trends(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """The course's own measures: its windows, charts, baseline, end, response and remission."""
    course = _course_for_clinician(request, course_uuid)
    computed = outcomes.course_outcomes(course)
    window = computed[0]
    trends = outcomes.course_trends(course, computed=computed)
    audit_record(action=AuditAction.READ, request=request, obj=course, detail="course trends")
    return render(
        request,
        "integration/course_trends.html",
        {"course": course, "window": window, "trends": trends},
    )


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _outcome_filters(request: AuthenticatedRequest) -> dict[str, Any]:
    protocol_uuid = request.GET.get("protocol", "")
    protocols = list(Protocol.objects.order_by("name"))
    if protocol_uuid not in {str(protocol.uuid) for protocol in protocols}:
        protocol_uuid = ""
    instrument_key = request.GET.get("instrument", PHQ9.key)
    if instrument_key not in outcomes.TREND_INSTRUMENTS:
        instrument_key = PHQ9.key
    return {
        "protocols": protocols,
        "protocol_uuid": protocol_uuid,
        "instrument_key": instrument_key,
        "start": _date_or_none(request.GET.get("start", "")),
        "end": _date_or_none(request.GET.get("end", "")),
    }


@role_required(Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.THERAPIST)
def clinic_outcomes(request: AuthenticatedRequest) -> HttpResponse:
    filters = _outcome_filters(request)
    report = clinic_outcomes_module.clinic_report(
        instrument_key=filters["instrument_key"],
        protocol_uuid=filters["protocol_uuid"] or None,
        start=filters["start"],
        end=filters["end"],
    )
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type="integration.outcomes",
        detail="clinic outcomes viewed",
    )
    definition = outcomes.definitions().get(filters["instrument_key"])
    return render(
        request,
        "integration/clinic_outcomes.html",
        {
            **filters,
            "report": report,
            "definition": definition,
            "instruments": [(key, INSTRUMENTS[key].name) for key in outcomes.TREND_INSTRUMENTS],
            "instrument_name": INSTRUMENTS[filters["instrument_key"]].name,
        },
    )


@role_required(Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.THERAPIST)
def clinic_outcomes_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The de-identified rows behind the figures, as CSV (an audited export)."""
    filters = _outcome_filters(request)
    rows = clinic_outcomes_module.summary_rows(
        instrument_key=filters["instrument_key"],
        protocol_uuid=filters["protocol_uuid"] or None,
        start=filters["start"],
        end=filters["end"],
    ).values(*clinic_outcomes_module.ROW_FIELDS)
    table = clinic_outcomes_module.csv_rows(
        rows, instrument_name=INSTRUMENTS[filters["instrument_key"]].name
    )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        object_type="integration.outcomes",
        detail=f"de-identified outcomes CSV, {len(table)} rows",
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    writer = csv.writer(response)
    writer.writerow(clinic_outcomes_module.CSV_HEADER)
    writer.writerows(table)
    return response


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def measures_flagged(request: AuthenticatedRequest) -> HttpResponse:
    """The landing panel's deterioration and non-response flags (loaded by htmx)."""
    flagged = flags_for_clinician(request.user)[: panels.SHOWN]
    return render(request, "integration/measures_flagged.html", {"flagged": flagged})


# --- course summary and letter --------------------------------------------------------------------


def _course_for_clinician(request: AuthenticatedRequest, course_uuid: UUID) -> Course:
    return get_visible_or_404(
        Course.objects.select_related("patient", "protocol", "prescriber", "therapist"),
        user=request.user,
        patient_path="patient__",
        uuid=course_uuid,
    )


def _may_see_doses(request: AuthenticatedRequest) -> bool:
    # The dosing rules: prescribers see doses; therapists record monitoring only.
    return request.user.has_perm("kap_sessions.view_dose")


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_summary(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    course = _course_for_clinician(request, course_uuid)
    if course.status != CourseStatus.COMPLETED:
        return render(request, "integration/course_summary_pending.html", {"course": course})
    providers = [p for p in course.patient.outside_providers.all() if p.consent_to_coordinate]
    audit_record(action=AuditAction.READ, request=request, obj=course, detail="course summary")
    return render(
        request,
        "integration/course_summary.html",
        {
            **summary.summary_context(course, include_doses=_may_see_doses(request)),
            "providers": providers,
        },
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_letter(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """A printable letter to the outside providers the patient consented to coordinate with."""
    course = _course_for_clinician(request, course_uuid)
    providers = [p for p in course.patient.outside_providers.all() if p.consent_to_coordinate]
    if course.status != CourseStatus.COMPLETED or not providers:
        return render(
            request, "integration/course_summary_pending.html", {"course": course}, status=409
        )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        obj=course,
        detail=f"course letter to {len(providers)} outside providers",
    )
    return render(
        request,
        "integration/course_letter.html",
        {
            **summary.summary_context(course, include_doses=_may_see_doses(request)),
            "providers": providers,
            "author": request.user,
        },
    )


# --- clinician-rated measures (MADRS) -------------------------------------------------------


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_madrs(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    """Record the MADRS at baseline and during the course; list the course's ratings."""
    course = get_visible_or_404(
        Course.objects.select_related("patient", "protocol"),
        user=request.user,
        patient_path="patient__",
        uuid=course_uuid,
    )
    form = MadrsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rating = ratings.madrs_record(
                course=course,
                answers=form.answers(),
                occasion=form.cleaned_data["occasion"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"MADRS {rating.response.total} ({rating.response.band_label}) recorded.",
            )
            return redirect("integration:course_madrs", course_uuid=course.uuid)
    else:
        audit_record(action=AuditAction.READ, request=request, obj=course, detail="MADRS ratings")
    return render(
        request,
        "integration/course_madrs.html",
        {"course": course, "form": form, "ratings": ratings.madrs_ratings(course)},
        status=400 if form.errors else 200,
    )
