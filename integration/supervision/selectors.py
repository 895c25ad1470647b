"""Reads of supervision: what a note's reviewer and author see, and the supervisor's queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from intake.models import ClinicalAssessment, MedicalAssessment
from integration.models import Note
from integration.supervision.models import (
    NoteSupervision,
    ReviewComment,
    ReviewState,
    SupervisionMeeting,
    SupervisionMode,
    SupervisionRelationship,
    SupervisionReport,
)
from integration.supervision.services import note_sections
from kap_clinic.accounts.models import User


def note_review_context(*, note: Note, user: User) -> dict[str, Any]:
    """The review panel of a note: only its author and its supervisor see comments and versions."""
    supervision = NoteSupervision.objects.filter(note=note).first()
    if supervision is None or user.pk not in (note.author_id, supervision.supervisor_id):
        return {"shown": False, "approve_label": "Co-sign note"}
    comments = list(ReviewComment.objects.filter(note=note).select_related("version", "author"))
    is_reviewer = user.pk == supervision.supervisor_id
    return {
        "shown": True,
        "supervision": supervision,
        "comments": comments,
        "versions": list(note.versions.all()),
        "sections": note_sections(note),
        "can_return": is_reviewer
        and supervision.mode != SupervisionMode.COSIGN
        and supervision.state == ReviewState.PENDING
        and note.is_signed
        and note.cosigned_at is None,
        "approve_label": "Co-sign note"
        if supervision.mode == SupervisionMode.COSIGN
        else "Approve note",
    }


def supervisor_queue(*, user: User) -> QuerySet[Note]:
    """Notes awaiting this supervisor's co-signature or approval, oldest first."""
    return (
        Note.objects.select_related("patient", "appointment", "author", "supervision")
        .filter(cosignature_required_from=user, signed_at__isnull=False, cosigned_at__isnull=True)
        .order_by("signed_at", "id")
    )


# The kinds of clearance a trainee may record, as they appear in addresses and on the page.
CLEARANCE_KINDS: dict[str, type[MedicalAssessment] | type[ClinicalAssessment]] = {
    "medical": MedicalAssessment,
    "clinical": ClinicalAssessment,
}


@dataclass(frozen=True)
class PendingClearance:
    """A trainee's clearance and its kind (medical or clinical), for the queue and its page."""

    kind: str
    assessment: MedicalAssessment | ClinicalAssessment

    @property
    def kind_label(self) -> str:
        return "Medical clearance" if self.kind == "medical" else "Clinical clearance"


def clearances_awaiting_cosignature(*, user: User) -> list[PendingClearance]:
    """Trainees' clearances this supervisor must co-sign, oldest first (one query per kind)."""
    rows = [
        PendingClearance(kind=kind, assessment=assessment)
        for kind, model in CLEARANCE_KINDS.items()
        for assessment in model.objects.select_related("patient", "assessed_by").filter(
            cosignature_required_from=user, cosigned_at__isnull=True
        )
    ]
    return sorted(rows, key=lambda row: (row.assessment.created_at, row.kind, row.assessment.pk))


def clearance_for_cosignature(
    *, user: User, kind: str, assessment_uuid: UUID
) -> PendingClearance | None:
    """A clearance whose co-signature falls to this user; None for anyone else (a 404)."""
    model = CLEARANCE_KINDS.get(kind)
    if model is None:
        return None
    assessment = (
        model.objects.select_related("patient", "assessed_by", "cosigned_by")
        .filter(uuid=assessment_uuid, cosignature_required_from=user)
        .first()
    )
    return None if assessment is None else PendingClearance(kind=kind, assessment=assessment)


def reports_visible_to(*, user: User) -> QuerySet[SupervisionReport]:
    """A supervision report is read by its supervisee and supervisor only."""
    return SupervisionReport.objects.select_related(
        "relationship__supervisee", "relationship__supervisor"
    ).filter(Q(relationship__supervisee=user) | Q(relationship__supervisor=user))


def caseload_of(*, user: User, on: date) -> QuerySet[SupervisionRelationship]:
    """The supervisor's relationships in force on the date."""
    return (
        SupervisionRelationship.objects.select_related("supervisee")
        .filter(supervisor=user, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("supervisee__full_name", "kind")
    )


def relationships_for_admin() -> QuerySet[SupervisionRelationship]:
    """Every supervision, current and past, for the clinic admin's set-up page."""
    return SupervisionRelationship.objects.select_related("supervisee", "supervisor").order_by(
        "-starts_on", "-id"
    )


def supervised_by(*, user: User, relationship_uuid: UUID) -> SupervisionRelationship | None:
    """One of this supervisor's relationships (current or past); None for anyone else's."""
    return (
        SupervisionRelationship.objects.select_related("supervisee", "supervisor")
        .filter(uuid=relationship_uuid, supervisor=user)
        .first()
    )


def meetings_with(*, relationship: SupervisionRelationship) -> QuerySet[SupervisionMeeting]:
    """The supervisor's meetings the supervisee attended, newest first, with who attended."""
    return (
        SupervisionMeeting.objects.filter(
            supervisor_id=relationship.supervisor_id, supervisees=relationship.supervisee_id
        )
        .prefetch_related("supervisees")
        .order_by("-held_on", "-id")
    )
