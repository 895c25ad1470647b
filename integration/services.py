"""Writes of the integration app: notes, signing, addenda, psychotherapy notes, reflections."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import Patient
from integration.models import (
    Note,
    NoteAddendum,
    NoteKind,
    NoteTemplate,
    PsychotherapyNote,
    PsychotherapyNoteVersion,
    Reflection,
    ReflectionPrompt,
    content_hash,
)
from integration.supervision.services import supervision_on_cosign, supervision_on_sign
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.billing.services import charges_repropose
from sessions.models import Appointment, AppointmentStatus, Course

NOTE_BODY_MAX = 50_000


def _check_author(note: Note, by: User) -> None:
    if note.author_id != by.pk:
        raise ValidationError("Only the note's author can change or sign it.")


@transaction.atomic
def note_start(*, appointment: Appointment, by: User) -> Note:
    """The author's note of the appointment: the existing one, or a new draft from the template."""
    if appointment.kind not in NoteKind.values:
        raise ValidationError("Notes are written for preparation, dosing and integration sessions.")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValidationError("This appointment was cancelled; there is nothing to write up.")
    if not by.is_clinician:
        raise ValidationError("Only clinicians write notes.")
    existing = Note.objects.filter(appointment=appointment, author=by).first()
    if existing is not None:
        return existing
    template = NoteTemplate.objects.filter(
        kind=appointment.kind, is_default=True, is_active=True
    ).first()
    return Note.objects.create(
        patient_id=appointment.patient_id,
        appointment=appointment,
        course_id=appointment.course_id,
        kind=appointment.kind,
        template=template,
        author=by,
        body=template.skeleton() if template else "",
    )


@transaction.atomic
def note_draft_save(*, note: Note, body: str, by: User) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    _check_author(note, by)
    if note.is_signed:
        raise ValidationError("This note is signed and locked; add an addendum instead.")
    # Browsers submit a textarea's line breaks as CRLF: keep one form so versions and the
    # signature's hash do not change with the way the text was sent.
    body = body.replace("\r\n", "\n")
    if len(body) > NOTE_BODY_MAX:
        raise ValidationError(f"A note holds at most {NOTE_BODY_MAX} characters.")
    note.body = body
    note.updated_at = timezone.now()
    note.save(update_fields=["body", "updated_at"])
    return note


@transaction.atomic
def note_sign(*, note: Note, by: User) -> Note:
    """Locks the note: stores the SHA-256 of its text; a supervised author needs a co-signature."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    _check_author(note, by)
    if note.is_signed:
        raise ValidationError("This note is signed already.")
    if not note.body.strip():
        raise ValidationError("An empty note cannot be signed.")
    note.signed_at = timezone.now()
    note.content_hash = content_hash(note.body)
    note.cosignature_required_from_id = supervision_on_sign(note=note, by=by)
    note.save(update_fields=["signed_at", "content_hash", "cosignature_required_from"])
    if note.appointment_id is not None and note.session_started_at is not None:
        # Psychotherapy time codes follow the signed note's times, not the booked duration.
        charges_repropose(
            appointment=note.appointment, by=by, reason="the signed note's session times"
        )
    return note


@transaction.atomic
def note_cosign(*, note: Note, by: User) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError("The author has not signed this note yet.")
    if note.cosignature_required_from_id is None:
        raise ValidationError("This note needs no co-signature.")
    if note.cosignature_required_from_id != by.pk:
        raise ValidationError("Only the author's supervisor can co-sign this note.")
    if note.cosigned_at is not None:
        raise ValidationError("This note is co-signed already.")
    note.cosigned_by = by
    note.cosigned_at = timezone.now()
    note.save(update_fields=["cosigned_by", "cosigned_at"])
    supervision_on_cosign(note=note, by=by)
    return note


@transaction.atomic
def note_addendum_add(*, note: Note, body: str, by: User) -> NoteAddendum:
    note = Note.objects.select_for_update().get(pk=note.pk)
    _check_author(note, by)
    if not note.is_signed:
        raise ValidationError("The note is still a draft: edit it instead of adding an addendum.")
    if not body.strip():
        raise ValidationError("An addendum needs some text.")
    if len(body) > NOTE_BODY_MAX:
        raise ValidationError(f"An addendum holds at most {NOTE_BODY_MAX} characters.")
    return NoteAddendum.objects.create(
        note=note, author=by, body=body, content_hash=content_hash(body)
    )


@transaction.atomic
def psychotherapy_note_create(
    *, patient: Patient, body: str, by: User, appointment: Appointment | None = None
) -> PsychotherapyNote:
    if by.role != "therapist":
        raise ValidationError("Psychotherapy notes are written by therapists.")
    if not body.strip():
        raise ValidationError("The note needs some text.")
    note = PsychotherapyNote.objects.create(
        patient=patient, appointment=appointment, author=by, body=body
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=note, detail="psychotherapy note written")
    return note


@transaction.atomic
def psychotherapy_note_update(*, note: PsychotherapyNote, body: str, by: User) -> PsychotherapyNote:
    """Changes the note's text; the text it replaces is kept as a version (author only)."""
    note = PsychotherapyNote.objects.select_for_update().get(pk=note.pk)
    if note.author_id != by.pk:
        raise ValidationError("Only the author can change a psychotherapy note.")
    if not body.strip():
        raise ValidationError("The note needs some text.")
    if body == note.body:
        return note
    now = timezone.now()
    PsychotherapyNoteVersion.objects.create(
        note=note,
        number=note.versions.count() + 1,
        body=note.body,
        written_at=note.updated_at,
        replaced_at=now,
    )
    note.body = body
    note.updated_at = now
    note.save(update_fields=["body", "updated_at"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=note, detail="psychotherapy note changed")
    return note


@transaction.atomic
def reflection_write(
    *,
    patient: Patient,
    text: str,
    shared_with_therapist: bool,
    by: User,
    prompt: ReflectionPrompt | None = None,
) -> Reflection:
    if patient.user_id != by.pk:
        raise ValidationError("Only the patient writes their reflections.")
    if not text.strip():
        raise ValidationError("A reflection needs some text.")
    course = Course.objects.filter(patient=patient).order_by("-start_date", "-id").first()
    return Reflection.objects.create(
        patient=patient,
        course=course,
        prompt=prompt,
        text=text,
        shared_with_therapist=shared_with_therapist,
    )


@transaction.atomic
def reflection_share(*, reflection: Reflection, shared: bool, by: User) -> Reflection:
    if reflection.patient.user_id != by.pk:
        raise ValidationError("Only the patient decides whom to share a reflection with.")
    reflection.shared_with_therapist = shared
    reflection.save(update_fields=["shared_with_therapist"])
    return reflection
