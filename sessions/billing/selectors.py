"""Billing reads: the superbill's contents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Sum

from intake.models import Patient
from kap_clinic.clinic.models import Organisation, ProfessionalLicence
from kap_clinic.clinic.selectors import organisation_get
from sessions.billing.models import Charge, ChargeStatus, CourseDiagnosis


@dataclass
class Superbill:
    organisation: Organisation | None
    patient: Patient
    providers: list[Any]
    lines: Sequence[Charge]
    diagnoses: list[CourseDiagnosis]
    start: date | None
    end: date | None
    total: Decimal
    paid: Decimal


def superbill_for(
    *, patient: Patient, start: date | None = None, end: date | None = None
) -> Superbill:
    """The posted charges of a visit or period with what was paid; a patient with no diagnosis
    has no superbill (insurers refuse one without)."""
    diagnoses = list(
        CourseDiagnosis.objects.filter(course__patient=patient)
        .select_related("code")
        .order_by("-is_primary", "id")
    )
    if not diagnoses:
        raise ValidationError(
            "A superbill needs a diagnosis: add one to the patient's course first."
        )
    charges = Charge.objects.filter(patient=patient, status=ChargeStatus.POSTED)
    if start:
        charges = charges.filter(date_of_service__gte=start)
    if end:
        charges = charges.filter(date_of_service__lte=end)
    lines = list(
        charges.select_related(
            "code", "rendering_provider__staff_profile", "rendered_under_supervision_by"
        )
        .prefetch_related(
            Prefetch("rendering_provider__licences", queryset=ProfessionalLicence.objects.all())
        )
        .annotate(paid=Sum("allocations__amount"))
        .order_by("date_of_service", "id")
    )
    if not lines:
        raise ValidationError("There are no posted charges in that period.")
    providers = list(
        {
            line.rendering_provider_id: line.rendering_provider
            for line in lines
            if line.rendering_provider
        }.values()
    )
    seen: set[int] = set()
    unique_diagnoses = []
    for diagnosis in diagnoses:
        if diagnosis.code_id not in seen:
            seen.add(diagnosis.code_id)
            unique_diagnoses.append(diagnosis)
    return Superbill(
        organisation=organisation_get(),
        patient=patient,
        providers=providers,
        lines=lines,
        diagnoses=unique_diagnoses,
        start=start,
        end=end,
        total=sum((line.amount for line in lines), Decimal("0")),
        paid=sum((line.paid or Decimal("0") for line in lines), Decimal("0")),
    )
