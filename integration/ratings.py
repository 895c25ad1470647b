"""Clinician-rated measures (MADRS): recorded by a clinician of the course into the same store as
the patients' measures (intake's InstrumentResponse), with the clinician as their source."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from intake.instruments import MADRS
from intake.models import InstrumentResponse
from integration.models import ClinicianRating, RatingOccasion
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.models import Course


@transaction.atomic
def madrs_record(
    *, course: Course, answers: Mapping[str, object], occasion: str, by: User
) -> ClinicianRating:
    """Scores the ten MADRS items (0-6 each; bands of Montgomery & Åsberg 1979, CLINICAL.md)."""
    if by.role not in CLINICIAN_ROLES:
        raise ValidationError("The MADRS is rated by a clinician.")
    if occasion not in RatingOccasion.values:
        raise ValidationError("Choose when in the course this rating was made.")
    cleaned = MADRS.clean(answers)
    score = MADRS.score(cleaned)
    now = timezone.now()
    response = InstrumentResponse.objects.create(
        patient=course.patient,
        instrument_key=MADRS.key,
        instrument_version=MADRS.version,
        answers=cleaned,
        total=score.total,
        band=score.band.key,
        band_label=score.band.label,
        recorded_at=now,
    )
    rating = ClinicianRating.objects.create(
        response=response, course=course, occasion=occasion, rated_by=by, rated_at=now
    )
    audit_record(action=AuditAction.CREATE, actor=by, obj=rating, detail="MADRS rated")
    return rating


def madrs_ratings(course: Course) -> QuerySet[ClinicianRating]:
    return (
        ClinicianRating.objects.filter(course=course, response__instrument_key=MADRS.key)
        .select_related("response", "rated_by")
        .order_by("-rated_at")
    )
