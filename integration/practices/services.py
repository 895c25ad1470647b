"""Writes of practices: a clinician attaches a programme to a course phase; a patient marks a
practice done. Each service records its audit row."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.practices.models import (
    CoursePhase,
    Practice,
    PracticeCompletion,
    PracticeProgramme,
    ProgrammeAssignment,
)
from integration.practices.selectors import day_of
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.models import Course, CourseStatus


@transaction.atomic
def programme_attach(
    *, course: Course, programme: PracticeProgramme, phase: str, starts_on: date, by: User
) -> ProgrammeAssignment:
    """Attaches (or replaces) the programme of one phase of a course."""
    if phase not in CoursePhase.values:
        raise ValidationError("Choose the preparation or the integration phase.")
    if not programme.is_active:
        raise ValidationError(f"{programme.name} is not in use.")
    if course.status in (CourseStatus.CANCELLED, CourseStatus.COMPLETED):
        raise ValidationError("Practices can only be attached to a planned or active course.")
    assignment, _ = ProgrammeAssignment.objects.update_or_create(
        course=course,
        phase=phase,
        defaults={"programme": programme, "starts_on": starts_on, "assigned_by": by},
    )
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        obj=assignment,
        detail=f"practice programme attached to the {phase} phase",
    )
    return assignment


@transaction.atomic
def practice_complete(
    *, assignment: ProgrammeAssignment, practice: Practice, by: User, today: date | None = None
) -> PracticeCompletion:
    """The patient marks a practice done: today's, or an earlier one of the programme.

    The caller has checked that ``assignment`` belongs to ``by`` (the patient).
    """
    today = today or timezone.localdate()
    if practice.programme_id != assignment.programme_id:
        raise ValidationError("That practice is not part of your programme.")
    if practice.day > day_of(assignment, today):
        raise ValidationError("That practice is not due yet.")
    try:
        with transaction.atomic():
            completion = PracticeCompletion.objects.create(assignment=assignment, practice=practice)
    except IntegrityError as error:
        raise ValidationError("You marked this practice done already.") from error
    audit_record(action=AuditAction.CREATE, actor=by, obj=completion, detail="practice done")
    return completion
