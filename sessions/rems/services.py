"""Writes of the esketamine REMS: enrolment, opening, signing and submitting monitoring forms,
and the prescriber's reminders. Each service records its own audit row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import message_request, messages_cancel
from kap_clinic.pdf import pdf_render
from kap_clinic.timezones import clinic_time_zone
from sessions import dosing
from sessions.models import DosingRecord, DosingStatus
from sessions.rems.models import REMS_REMINDER_DAYS, RemsEnrolment, RemsForm
from sessions.rems.selectors import local_date
from sessions.rems.transmission import RemsTransmissionError, rems_transmitter

REMS_REMINDER_TEMPLATE = "sessions.rems_form_reminder"
ENROLMENT_ROLES = (Role.PRESCRIBER, Role.CLINIC_ADMIN)


def _clinic_today() -> date:
    return local_date(timezone.now(), clinic_time_zone())


@transaction.atomic
def rems_enrol(*, patient: Any, rems_patient_id: str, enrolled_on: date, by: User) -> RemsEnrolment:
    """Records the patient's REMS enrolment (as the REMS programme gave it); once per patient,
    and a REMS patient ID names one patient only."""
    if by.role not in ENROLMENT_ROLES:
        raise ValidationError("Only a prescriber or a clinic admin can record a REMS enrolment.")
    rems_patient_id = rems_patient_id.strip()
    if not rems_patient_id:
        raise ValidationError({"rems_patient_id": "Enter the REMS patient ID."})
    if enrolled_on > _clinic_today():
        raise ValidationError({"enrolled_on": "The enrolment date cannot be in the future."})
    if RemsEnrolment.objects.filter(patient=patient).exists():
        raise ValidationError("This patient's REMS enrolment is already recorded.")
    if RemsEnrolment.objects.filter(rems_patient_id__iexact=rems_patient_id).exists():
        raise ValidationError(
            {"rems_patient_id": "This REMS patient ID is already recorded for another patient."}
        )
    try:
        with transaction.atomic():
            enrolment = RemsEnrolment.objects.create(
                patient=patient,
                rems_patient_id=rems_patient_id,
                enrolled_on=enrolled_on,
                recorded_by=by,
            )
    except IntegrityError as error:  # a concurrent enrolment won the insert
        raise ValidationError(
            {"rems_patient_id": "This REMS patient ID or patient is already enrolled."}
        ) from error
    audit_record(action=AuditAction.CREATE, actor=by, obj=enrolment, detail="REMS enrolment")
    return enrolment


@transaction.atomic
def rems_form_open(*, record: DosingRecord) -> RemsForm:
    """The monitoring form of a discharged REMS session, due 7 days after the session's day in
    the location's zone (called by the discharge, in its transaction)."""
    appointment = record.appointment
    moment = dosing.dosed_at(record) or record.started_at or appointment.starts_at
    session_date = local_date(moment, appointment.location.time_zone)
    form, _ = RemsForm.objects.get_or_create(
        dosing_record=record,
        defaults={
            "session_date": session_date,
            "due_on": RemsForm.due_date_for(session_date),
            "prescriber": record.course.prescriber,
        },
    )
    return form


def rems_form_missing(record: DosingRecord) -> list[str]:
    """The labels of the form's fields the record does not fill."""
    return [field.label for field in dosing.rems_form_fields(record) if field.missing]


@transaction.atomic
def rems_form_sign(*, form: RemsForm, signature: str, by: User) -> RemsForm:
    """The prescriber completes the form with their signature (their full name typed): refused
    while any field is missing, naming each; the fields are kept as signed."""
    if by.role != Role.PRESCRIBER:
        raise ValidationError("Only a prescriber can sign the REMS form.")
    form = RemsForm.objects.select_for_update().get(id=form.id)
    if form.signed_at is not None:
        raise ValidationError("This REMS form is already signed.")
    record = form.dosing_record
    if record.status != DosingStatus.DISCHARGED:
        raise ValidationError("The REMS form is completed after the patient is discharged.")
    missing = rems_form_missing(record)
    if missing:
        raise ValidationError(
            "The REMS form cannot be marked complete: not assessed: " + "; ".join(missing) + "."
        )
    if " ".join(signature.split()).casefold() != " ".join(by.full_name.split()).casefold():
        raise ValidationError({"signature": "Type your full name as your signature."})
    form.fields = [[field.label, field.value] for field in dosing.rems_form_fields(record)]
    form.signature = by.full_name
    form.signed_at = timezone.now()
    form.signed_by = by
    form.save(update_fields=["fields", "signature", "signed_at", "signed_by"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=form, detail="REMS form signed")
    return form


def _require_submittable(form: RemsForm, by: User) -> RemsForm:
    if by.role != Role.PRESCRIBER:
        raise ValidationError("Only a prescriber can submit the REMS form.")
    form = RemsForm.objects.select_for_update().get(id=form.id)
    if form.signed_at is None:
        raise ValidationError("Sign the REMS form before submitting it.")
    if form.submitted_at is not None:
        raise ValidationError(
            f"This REMS form was already submitted (confirmation {form.confirmation_number})."
        )
    return form


def _submitted(
    form: RemsForm, *, by: User, on: date, confirmation_number: str, how: str
) -> RemsForm:
    form.submitted_at = timezone.now()
    form.submitted_on = on
    form.submitted_by = by
    form.confirmation_number = confirmation_number[:60]
    form.transmitted_by = how
    form.save(
        update_fields=[
            "submitted_at",
            "submitted_on",
            "submitted_by",
            "confirmation_number",
            "transmitted_by",
        ]
    )
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=form, detail=f"REMS form submitted ({how})"
    )
    # Reminders not yet sent have nothing left to remind of.
    messages_cancel(subject_key=f"rems:{form.uuid}")
    return form


def rems_form_pdf(form: RemsForm) -> bytes:
    from sessions.rems.selectors import rems_form_document

    return pdf_render("kap_sessions/rems/form_pdf.html", rems_form_document(form))


@transaction.atomic
def rems_form_transmit(*, form: RemsForm, by: User) -> RemsForm:
    """Sends the signed form's PDF through the transmission backend and records the submission
    with the REMS confirmation number."""
    form = _require_submittable(form, by)
    transmitter = rems_transmitter()
    try:
        number = transmitter.send(form_uuid=str(form.uuid), pdf=rems_form_pdf(form))
    except RemsTransmissionError as error:
        raise ValidationError(f"The REMS form could not be sent: {error}") from error
    location = form.dosing_record.appointment.location
    today = local_date(timezone.now(), location.time_zone)
    return _submitted(form, by=by, on=today, confirmation_number=number, how=transmitter.name)


@transaction.atomic
def rems_form_submission_record(
    *, form: RemsForm, submitted_on: date, confirmation_number: str, by: User
) -> RemsForm:
    """Records a submission made outside the platform (the REMS portal, a fax)."""
    form = _require_submittable(form, by)
    confirmation_number = confirmation_number.strip()
    if not confirmation_number:
        raise ValidationError({"confirmation_number": "Enter the REMS confirmation number."})
    location = form.dosing_record.appointment.location
    if submitted_on > local_date(timezone.now(), location.time_zone):
        raise ValidationError({"submitted_on": "The submission date cannot be in the future."})
    if submitted_on < form.session_date:
        raise ValidationError({"submitted_on": "The submission date is before the session."})
    return _submitted(
        form, by=by, on=submitted_on, confirmation_number=confirmation_number, how="recorded"
    )


def rems_reminders_send(*, now: datetime | None = None) -> int:
    """Reminds each form's prescriber on day 5 and day 7 after the session (location's zone)
    while the form is not submitted; each reminder once (outbox idempotency key). Returns how
    many reminders are queued (already queued ones included)."""
    now = now or timezone.now()
    queued = 0
    forms = RemsForm.objects.filter(submitted_at__isnull=True).select_related(
        "dosing_record__appointment__location", "prescriber"
    )
    for form in forms:
        today = local_date(now, form.dosing_record.appointment.location.time_zone)
        day = form.day_after_session(today)
        due = [reminder for reminder in REMS_REMINDER_DAYS if reminder <= day]
        if not due:
            continue
        # The latest reminder due: a run missed on day 5 does not send it late on day 8.
        reminder = due[-1]
        with transaction.atomic():
            message = message_request(
                recipient=recipient_for_user(form.prescriber),
                template_key=REMS_REMINDER_TEMPLATE,
                idempotency_key=f"{REMS_REMINDER_TEMPLATE}:{form.uuid}:day{reminder}",
                refs={"form": str(form.uuid), "day": str(reminder)},
                subject_key=f"rems:{form.uuid}",
                essential=True,
            )
        queued += message is not None
    return queued
