"""Reads that decide access: notes for the care team, psychotherapy notes for their author only."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from integration.models import MeasureRequest, Note, PsychotherapyNote, Reflection
from integration.supervision.models import ReviewState
from kap_clinic.accounts.access import care_team_q
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role

# Issue #6: notes still unsigned 72 hours after the session are listed for their author.
UNSIGNED_AFTER = timedelta(hours=72)


def notes_visible_to(*, user: User) -> QuerySet[Note]:
    """Progress notes: the therapist and prescriber of the care team, and a co-signing supervisor.

    Front desk, clinic admins and patients read none (issue #6, Access).
    """
    notes = Note.objects.select_related("patient", "appointment", "author", "cosigned_by")
    if not user.is_authenticated or user.role not in (Role.THERAPIST, Role.PRESCRIBER):
        return notes.none()
    return notes.filter(
        care_team_q(user=user, patient_path="patient__")
        | Q(author=user)
        | Q(cosignature_required_from=user)
    ).distinct()


def notes_to_sign(*, user: User) -> QuerySet[Note]:
    """The author's drafts 72 hours after the session or returned by their supervisor for
    revision, and notes awaiting their co-signature."""
    cutoff = timezone.now() - UNSIGNED_AFTER
    return (
        Note.objects.select_related("patient", "appointment", "author", "supervision")
        .filter(
            Q(author=user, signed_at__isnull=True, appointment__starts_at__lt=cutoff)
            | Q(author=user, signed_at__isnull=True, supervision__state=ReviewState.RETURNED)
            | Q(cosignature_required_from=user, signed_at__isnull=False, cosigned_at__isnull=True)
        )
        .order_by("appointment__starts_at")
    )


def psychotherapy_notes_of(*, user: User) -> QuerySet[PsychotherapyNote]:
    """Only the author ever reads a psychotherapy note (45 CFR 164.501, CLINICAL.md)."""
    if not user.is_authenticated:
        return PsychotherapyNote.objects.none()
    return PsychotherapyNote.objects.select_related("patient").filter(author=user)


def reflections_shared_with(*, user: User) -> QuerySet[Reflection]:
    """Reflections a patient chose to share, for their therapist (patient's or course's)."""
    if not user.is_authenticated or user.role != Role.THERAPIST:
        return Reflection.objects.none()
    return (
        Reflection.objects.select_related("patient", "prompt")
        .filter(shared_with_therapist=True)
        .filter(Q(patient__therapist=user) | Q(course__therapist=user))
    )


def reflections_of_patient_user(*, user: User) -> QuerySet[Reflection]:
    return Reflection.objects.select_related("prompt").filter(patient__user=user)


def measures_open_for(*, user: User) -> QuerySet[MeasureRequest]:
    """The signed-in patient's measures that are due, unanswered and not yet expired."""
    now = timezone.now()
    return MeasureRequest.objects.filter(
        patient__user=user, due_at__lte=now, expires_at__gt=now, answered_at__isnull=True
    ).order_by("due_at")
