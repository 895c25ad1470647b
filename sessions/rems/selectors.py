"""Reads of the esketamine REMS: enrolment, what stands in the way of a dose, the forms' list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from intake.selectors import patients_visible_to
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from sessions.models import Appointment, CertificationKind, Drug, SiteCertification
from sessions.rems.models import RemsEnrolment, RemsForm, RemsFormState


def needs_rems(appointment: Appointment) -> bool:
    """An esketamine dosing session: the patient's REMS enrolment and a certified site needed."""
    course = appointment.course
    return appointment.is_dosing and course is not None and course.protocol.drug == Drug.ESKETAMINE


def rems_enrolment_of(patient: Any) -> RemsEnrolment | None:
    return RemsEnrolment.objects.filter(patient=patient).select_related("recorded_by").first()


def local_date(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def rems_booking_warning(appointment: Appointment) -> str:
    """What the booking confirmation and the appointment page warn of: an esketamine dosing
    session for a patient not (yet) enrolled in the REMS. Empty when nothing to say."""
    if not needs_rems(appointment) or not appointment.is_active:
        return ""
    enrolment = rems_enrolment_of(appointment.patient)
    day = local_date(appointment.starts_at, appointment.location.time_zone)
    if enrolment is None:
        return (
            f"{appointment.patient.display_name} is not enrolled in the esketamine REMS: record "
            "the REMS enrolment before the session, or the dose cannot start."
        )
    if enrolment.enrolled_on > day:
        return (
            f"The REMS enrolment is dated {enrolment.enrolled_on:%-d %b %Y}, after this session: "
            "the dose cannot start before the enrolment date."
        )
    return ""


def rems_dosing_problems(appointment: Appointment) -> list[str]:
    """Why an esketamine dose may not start today: no REMS enrolment (or one dated later), or no
    REMS healthcare-setting certification of the location valid on the session's day."""
    if not needs_rems(appointment):
        return []
    problems = []
    day = local_date(timezone.now(), appointment.location.time_zone)
    enrolment = rems_enrolment_of(appointment.patient)
    if enrolment is None:
        problems.append(
            f"{appointment.patient.display_name} is not enrolled in the esketamine REMS: record "
            "the REMS enrolment (REMS patient ID and date) before the first dose."
        )
    elif enrolment.enrolled_on > day:
        problems.append(
            f"The REMS enrolment is dated {enrolment.enrolled_on:%-d %b %Y}, after today: "
            "check the enrolment date."
        )
    certifications = SiteCertification.objects.filter(
        location=appointment.location, kind=CertificationKind.ESKETAMINE_REMS
    )
    if not any(certification.is_valid_on(day) for certification in certifications):
        problems.append(
            f"{appointment.location.name} has no esketamine REMS healthcare-setting certification "
            f"valid on {day:%-d %b %Y}: esketamine cannot be given here until it is renewed."
        )
    return problems


# ------------------------------------------------------------------------------------------------
# The forms


def rems_forms_visible_to(*, user: User) -> QuerySet[RemsForm]:
    """Prescribers: the forms of the patients they may see; clinic admins: every form (they
    follow the deadlines, not the clinical content); anyone else: none."""
    forms = RemsForm.objects.select_related(
        "dosing_record__appointment__patient",
        "dosing_record__appointment__location",
        "prescriber",
        "signed_by",
        "submitted_by",
    )
    if user.role == Role.CLINIC_ADMIN:
        return forms
    if user.role == Role.PRESCRIBER:
        return forms.filter(
            dosing_record__appointment__patient__in=patients_visible_to(user=user).values("id")
        )
    return forms.none()


@dataclass(frozen=True)
class RemsFormRow:
    form: RemsForm
    state: RemsFormState
    day: int  # days since the session, in the location's zone


def rems_form_state(form: RemsForm, *, now: datetime | None = None) -> RemsFormState:
    location = form.dosing_record.appointment.location
    return form.state_on(local_date(now or timezone.now(), location.time_zone))


def rems_form_rows(
    *, user: User, now: datetime | None = None, submitted_since: date | None = None
) -> dict[str, list[RemsFormRow]]:
    """The forms ``user`` follows, by state: overdue, due soon, pending, and those submitted
    since ``submitted_since`` (default: none). One query whatever the number of forms."""
    now = now or timezone.now()
    forms = rems_forms_visible_to(user=user)
    if submitted_since is None:
        forms = forms.filter(submitted_at__isnull=True)
    else:
        forms = forms.exclude(submitted_on__lt=submitted_since)
    rows: dict[str, list[RemsFormRow]] = {state.value: [] for state in RemsFormState}
    for form in forms:
        today = local_date(now, form.dosing_record.appointment.location.time_zone)
        state = form.state_on(today)
        rows[state.value].append(RemsFormRow(form, state, form.day_after_session(today)))
    return rows


def rems_form_document(form: RemsForm) -> dict[str, Any]:
    """What the form's page and PDF show: the fields as signed, else as the record holds them."""
    from sessions import dosing

    record = form.dosing_record
    appointment = record.appointment
    if form.signed_at is not None:
        fields = [dosing.RemsField(label, value, False) for label, value in form.fields]
    else:
        fields = dosing.rems_form_fields(record)
    return {
        "form": form,
        "record": record,
        "appointment": appointment,
        "patient": appointment.patient,
        "course": record.course,
        "enrolment": rems_enrolment_of(appointment.patient),
        "fields": fields,
        "time_zone": ZoneInfo(appointment.location.time_zone),
    }
