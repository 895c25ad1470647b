"""How audit rows about patients' records are named (registered with the audit app)."""

from __future__ import annotations

import uuid
from operator import attrgetter
from typing import Any

from django.db.models import Model
from django.urls import reverse

from kap_clinic.audit.describe import Described, Describer, audit_describer_register


def _uuids(ids: list[str]) -> list[uuid.UUID]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return valid


def patient_describer(model: type[Model], patient_path: str, what: str) -> Describer:
    """Names rows of ``model`` by their patient, reached through ``patient_path`` ("" for the
    patient model itself, e.g. "appointment__patient" for a dosing record)."""
    patient_of = attrgetter(patient_path.replace("__", ".")) if patient_path else None

    def describe(ids: list[str]) -> dict[str, Described]:
        rows: Any = model._default_manager.filter(uuid__in=_uuids(ids))
        if patient_path:
            rows = rows.select_related(patient_path)
        named = {}
        for row in rows:
            patient = patient_of(row) if patient_of else row
            named[str(row.uuid)] = Described(
                what=what,
                patient=f"{patient.display_name} (MRN {patient.mrn})",
                url=reverse("intake:patient_detail", args=[patient.uuid]),
            )
        return named

    return describe


def register() -> None:
    from intake import models

    for model, path, what in [
        (models.Patient, "", "Patient record"),
        (models.IntakeForm, "patient", "Intake"),
        (models.Invitation, "patient", "Invitation"),
        (models.Alert, "patient", "Safety alert"),
        (models.MedicalAssessment, "patient", "Medical assessment"),
        (models.ClinicalAssessment, "patient", "Clinical assessment"),
        (models.Finding, "intake__patient", "Screening finding"),
    ]:
        audit_describer_register(model._meta.label_lower, patient_describer(model, path, what))
