"""A note's session times: when the session really began and ended, written by the note's author
before signing. Billing reads the minutes of the signed note through sessions' registry (the
psychotherapy time codes 90832/90834/90837), so sessions never imports integration."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from integration.models import Note
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.models import Appointment

# Far longer than any psychotherapy session: a longer span is a typing error (a wrong day).
LONGEST_SESSION = timedelta(hours=8)
SOURCE = "signed note's start and end"


@transaction.atomic
def note_session_times_set(
    *, note: Note, by: User, started_at: datetime, ended_at: datetime
) -> Note:
    """Records the session's start and end on the author's unsigned note."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    if note.author_id != by.pk:
        raise ValidationError("Only the note's author can change or sign it.")
    if note.is_signed:
        raise ValidationError("This note is signed and locked; add an addendum instead.")
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise ValidationError("Give the times with their time zone.")
    if ended_at <= started_at:
        raise ValidationError({"session_ended_at": "The session ends after it starts."})
    if ended_at - started_at > LONGEST_SESSION:
        raise ValidationError(
            {"session_ended_at": "A session this long is unlikely: check the day and times."}
        )
    note.session_started_at = started_at
    note.session_ended_at = ended_at
    note.save(update_fields=["session_started_at", "session_ended_at"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=note, detail="session times recorded")
    return note


def signed_note_minutes(appointment: Appointment) -> int | None:
    """Minutes between the start and end on the appointment's signed note (the session
    therapist's note first), or None when no signed note records them."""
    note = (
        Note.objects.filter(
            appointment=appointment,
            signed_at__isnull=False,
            session_started_at__isnull=False,
            session_ended_at__isnull=False,
        )
        .annotate(
            by_session_therapist=Case(
                When(author_id=appointment.therapist_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("by_session_therapist", "signed_at", "id")
        .only("session_started_at", "session_ended_at")
        .first()
    )
    if note is None or note.session_started_at is None or note.session_ended_at is None:
        return None
    return int((note.session_ended_at - note.session_started_at).total_seconds() // 60)


def register() -> None:
    from sessions.billing.registry import session_minutes_register

    session_minutes_register(SOURCE, signed_note_minutes)
