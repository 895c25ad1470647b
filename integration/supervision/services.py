"""Writes of supervision: relationships, the review a note falls under, returns with comments.

Approval is the co-signature (``integration.services.note_cosign``); this module decides who
must co-sign when the author signs, and lets the supervisor return a note for revision.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from intake.models import Patient
from integration.models import Note, content_hash
from integration.supervision.hours import clinical_hours
from integration.supervision.models import (
    HoursGoal,
    MeetingFormat,
    NoteSupervision,
    NoteVersion,
    ReviewComment,
    ReviewState,
    SupervisionKind,
    SupervisionMeeting,
    SupervisionMode,
    SupervisionRelationship,
    SupervisionReport,
)
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record

WHOLE_NOTE = "Whole note"


def _draw() -> int:
    """A uniform draw in 0..99; a note is sampled when the draw is below the percentage."""
    return secrets.randbelow(100)


@transaction.atomic
def relationship_create(
    *,
    supervisee: User,
    supervisor: User,
    kind: str,
    mode: str,
    starts_on: date,
    ends_on: date | None = None,
    sample_percent: int | None = None,
    by: User,
) -> SupervisionRelationship:
    if not by.is_clinic_admin:
        raise ValidationError("Only clinic admins set up supervision.")
    errors: dict[str, str] = {}
    if supervisee.pk == supervisor.pk:
        errors["supervisor"] = "A clinician cannot supervise themself."
    elif not supervisor.is_clinician or not supervisee.is_clinician:
        errors["supervisor"] = "Supervisor and supervisee must both be clinicians."
    if kind not in SupervisionKind.values:
        errors["kind"] = "Choose practicum, pre-licensure or fellowship."
    if mode not in SupervisionMode.values:
        errors["mode"] = "Choose how the supervisor reviews notes."
    if mode == SupervisionMode.SAMPLE and not (sample_percent and 1 <= sample_percent <= 100):
        errors["sample_percent"] = "Sample review needs a percentage between 1 and 100."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The end date is before the start date."
    if errors:
        raise ValidationError(errors)
    # Serialise creations for one supervisee so two overlapping ones cannot both pass the check.
    User.objects.select_for_update().filter(pk=supervisee.pk).first()
    overlapping = SupervisionRelationship.objects.filter(
        supervisee=supervisee, kind=kind, starts_on__lte=ends_on or date.max
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if overlapping.exists():
        raise ValidationError(
            {"starts_on": "These dates overlap another supervision of the same kind."}
        )
    relationship = SupervisionRelationship.objects.create(
        supervisee=supervisee,
        supervisor=supervisor,
        kind=kind,
        mode=mode,
        sample_percent=sample_percent if mode == SupervisionMode.SAMPLE else None,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=relationship, detail="supervision set up")
    return relationship


@transaction.atomic
def relationship_end(
    *, relationship: SupervisionRelationship, ends_on: date, by: User
) -> SupervisionRelationship:
    """A clinic admin ends a supervision on a date (inclusive); an end can only come sooner."""
    if not by.is_clinic_admin:
        raise ValidationError("Only clinic admins set up supervision.")
    relationship = SupervisionRelationship.objects.select_for_update().get(pk=relationship.pk)
    if ends_on < relationship.starts_on:
        raise ValidationError({"ends_on": "The end date is before the start date."})
    if relationship.ends_on is not None and ends_on > relationship.ends_on:
        raise ValidationError(
            {"ends_on": "This supervision already ends sooner; set up a new one to extend it."}
        )
    relationship.ends_on = ends_on
    relationship.save(update_fields=["ends_on"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=relationship, detail="supervision ended")
    return relationship


def relationship_in_force(*, supervisee: User, on: date) -> SupervisionRelationship | None:
    """The relationship covering the date; the most recently started one when several kinds do."""
    return (
        SupervisionRelationship.objects.filter(supervisee=supervisee, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on", "-id")
        .first()
    )


def supervisor_in_force(*, clinician: User, on: date) -> User | None:
    """Who supervises the clinician on the date: the relationship in force, else the supervisor
    set on their credentials (a trainee's), else no one."""
    relationship = relationship_in_force(supervisee=clinician, on=on)
    if relationship is not None:
        return relationship.supervisor
    if clinician.supervisor_id is None:
        return None
    return User.objects.filter(pk=clinician.supervisor_id).first()


def note_date(note: Note) -> date:
    return timezone.localdate(note.appointment.starts_at)


@transaction.atomic
def supervision_on_sign(*, note: Note, by: User) -> int | None:
    """Called by ``note_sign`` (which holds the note's lock): records the version submitted and
    returns who must co-sign, from the relationship in force on the note's date, else
    ``User.supervisor`` (co-sign every note)."""
    number = NoteVersion.objects.filter(note=note).count() + 1
    NoteVersion.objects.create(
        note=note, number=number, body=note.body, content_hash=content_hash(note.body)
    )
    existing = NoteSupervision.objects.filter(note=note).first()
    if existing is not None:
        # A resubmission after a return goes back to the same supervisor.
        existing.state = ReviewState.PENDING
        existing.save(update_fields=["state"])
        audit_record(action=AuditAction.UPDATE, actor=by, obj=note, detail="note resubmitted")
        return existing.supervisor_id
    relationship = relationship_in_force(supervisee=by, on=note_date(note))
    if relationship is None:
        if by.supervisor_id is None:
            return None
        supervision = NoteSupervision(
            note=note, supervisor_id=by.supervisor_id, mode=SupervisionMode.COSIGN
        )
    else:
        supervision = NoteSupervision(
            note=note,
            relationship=relationship,
            supervisor_id=relationship.supervisor_id,
            mode=relationship.mode,
        )
    supervision.state = ReviewState.PENDING
    if supervision.mode == SupervisionMode.SAMPLE and relationship is not None:
        supervision.sample_percent = relationship.sample_percent
        supervision.sample_draw = _draw()
        if supervision.sample_draw >= (relationship.sample_percent or 0):
            supervision.state = ReviewState.NOT_REQUIRED
    supervision.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        obj=note,
        detail=f"supervision: {supervision.get_state_display().lower()}",
    )
    if supervision.state == ReviewState.NOT_REQUIRED:
        return None
    return supervision.supervisor_id


@transaction.atomic
def supervision_on_cosign(*, note: Note, by: User) -> None:
    """Called by ``note_cosign``: the co-signature is the supervisor's approval."""
    NoteSupervision.objects.filter(note=note).update(
        state=ReviewState.APPROVED, decided_at=timezone.now()
    )


def note_sections(note: Note) -> list[str]:
    """The headings a comment can be anchored to: the template's, then the whole note."""
    headings: list[str] = []
    if note.template is not None:
        headings = [line.strip() for line in note.template.sections.splitlines() if line.strip()]
    return [*headings, WHOLE_NOTE]


@dataclass(frozen=True)
class Comment:
    section: str
    text: str


@transaction.atomic
def note_return(*, note: Note, comments: list[Comment], by: User) -> Note:
    """The supervisor sends a signed note back: it is a draft again; the version stays."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    supervision = NoteSupervision.objects.filter(note=note).first()
    if supervision is None or supervision.supervisor_id != by.pk:
        raise ValidationError("Only the supervisor reviewing this note can return it.")
    if supervision.mode == SupervisionMode.COSIGN:
        raise ValidationError("This supervision co-signs notes; add an addendum instead.")
    if supervision.state != ReviewState.PENDING or not note.is_signed or note.cosigned_at:
        raise ValidationError("Only a note awaiting your review can be returned.")
    comments = [c for c in comments if c.text.strip()]
    if not comments:
        raise ValidationError("Say what to revise: a returned note needs at least one comment.")
    sections = note_sections(note)
    for comment in comments:
        if comment.section not in sections:
            raise ValidationError(f"“{comment.section}” is not a section of this note.")
    version = NoteVersion.objects.filter(note=note).order_by("-number").first()
    if version is None:  # signed before supervision existed: keep that text as version 1
        version = NoteVersion.objects.create(
            note=note, number=1, body=note.body, content_hash=note.content_hash
        )
    ReviewComment.objects.bulk_create(
        ReviewComment(note=note, version=version, section=c.section, text=c.text, author=by)
        for c in comments
    )
    supervision.state = ReviewState.RETURNED
    supervision.save(update_fields=["state"])
    note.signed_at = None
    note.content_hash = ""
    note.save(update_fields=["signed_at", "content_hash"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=note, detail="note returned for revision")
    return note


@transaction.atomic
def meeting_record(
    *,
    supervisees: list[User],
    held_on: date,
    format: str,
    minutes: int,
    case_mrns: list[str],
    notes: str = "",
    by: User,
) -> SupervisionMeeting:
    """The supervisor logs a meeting with their current supervisees; cases by MRN only."""
    errors: dict[str, str] = {}
    if not supervisees:
        errors["supervisees"] = "Choose who attended."
    elif any(
        not SupervisionRelationship.objects.filter(
            supervisee=s, supervisor=by, starts_on__lte=held_on
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=held_on))
        .exists()
        for s in supervisees
    ):
        errors["supervisees"] = "Log meetings only with clinicians you supervise on that date."
    if format not in MeetingFormat.values:
        errors["format"] = "Choose individual or group."
    elif format == MeetingFormat.INDIVIDUAL and len(supervisees) > 1:
        errors["format"] = "An individual meeting has one supervisee."
    if minutes < 1:
        errors["minutes"] = "Give the meeting's length in minutes."
    mrns = sorted({m.strip() for m in case_mrns if m.strip()})
    unknown = set(mrns) - set(Patient.objects.filter(mrn__in=mrns).values_list("mrn", flat=True))
    if unknown:
        errors["case_mrns"] = "Unknown MRN: " + ", ".join(sorted(unknown)) + "."
    if errors:
        raise ValidationError(errors)
    meeting = SupervisionMeeting.objects.create(
        supervisor=by,
        held_on=held_on,
        format=format,
        minutes=minutes,
        case_mrns="\n".join(mrns),
        notes=notes,
    )
    meeting.supervisees.set(supervisees)
    audit_record(action=AuditAction.CREATE, actor=by, obj=meeting, detail="supervision meeting")
    return meeting


@transaction.atomic
def report_create(
    *, relationship: SupervisionRelationship, first_day: date, last_day: date, by: User
) -> SupervisionReport:
    """Draws up the period's report with the hours as they stand; either party may."""
    if by.pk not in (relationship.supervisee_id, relationship.supervisor_id):
        raise ValidationError("Only the supervisee or the supervisor draws up this report.")
    if last_day < first_day:
        raise ValidationError({"last_day": "The period ends before it starts."})
    hours = clinical_hours(supervisee=relationship.supervisee, first=first_day, last=last_day)
    meetings = SupervisionMeeting.objects.filter(
        supervisees=relationship.supervisee,
        supervisor=relationship.supervisor,
        held_on__gte=first_day,
        held_on__lte=last_day,
    ).count()
    report = SupervisionReport.objects.create(
        relationship=relationship,
        first_day=first_day,
        last_day=last_day,
        direct_minutes=int(hours.direct.total_seconds() // 60),
        indirect_minutes=int(hours.indirect.total_seconds() // 60),
        meeting_count=meetings,
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=report, detail="supervision report")
    return report


@transaction.atomic
def report_sign(*, report: SupervisionReport, by: User) -> SupervisionReport:
    report = (
        SupervisionReport.objects.select_for_update()
        .select_related("relationship")
        .get(pk=report.pk)
    )
    if by.pk == report.relationship.supervisee_id:
        field = "supervisee_signed_at"
    elif by.pk == report.relationship.supervisor_id:
        field = "supervisor_signed_at"
    else:
        raise ValidationError("Only the supervisee and the supervisor sign this report.")
    if getattr(report, field) is not None:
        raise ValidationError("You have signed this report already.")
    setattr(report, field, timezone.now())
    report.save(update_fields=[field])
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=report, detail="supervision report signed"
    )
    return report


# A goal beyond this is a typing slip (licensure asks for a few thousand hours at most).
HOURS_GOAL_MAX = 10000


@transaction.atomic
def hours_goal_set(
    *, relationship: SupervisionRelationship, direct_hours: int, indirect_hours: int, by: User
) -> HoursGoal:
    """The supervisee sets (or changes) the hours they aim for under this supervision."""
    if by.pk != relationship.supervisee_id:
        raise ValidationError("Only the supervisee sets their hours goal.")
    errors: dict[str, str] = {}
    for field, value in (("direct_hours", direct_hours), ("indirect_hours", indirect_hours)):
        if not 0 <= value <= HOURS_GOAL_MAX:
            errors[field] = f"Give a number of hours from 0 to {HOURS_GOAL_MAX}."
    if not errors and direct_hours == 0 and indirect_hours == 0:
        errors["direct_hours"] = "Set a goal for direct or indirect hours (or both)."
    if errors:
        raise ValidationError(errors)
    goal, created = HoursGoal.objects.update_or_create(
        relationship=relationship,
        defaults={
            "direct_hours": direct_hours,
            "indirect_hours": indirect_hours,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=relationship,
        detail=f"hours goal set: {direct_hours} direct, {indirect_hours} indirect",
    )
    return goal
