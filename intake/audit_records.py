"""Registers the patient records of every app with the audit review (`kap_clinic.audit.records`):
how to find one patient's rows of a model, and whose rows a page names."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import CharField, Model
from django.db.models.functions import Cast

from kap_clinic.audit.records import PatientRecordType, patient_record_type_register


def patient_record_type(model: type[Model], *, patient_path: str, name: str) -> PatientRecordType:
    """The audit registry entry of ``model``, reaching its patient through ``patient_path``
    ("" for the Patient model itself, else e.g. "appointment__patient")."""
    id_field = "uuid" if any(f.name == "uuid" for f in model._meta.fields) else "pk"
    prefix = f"{patient_path}__" if patient_path else ""

    def ids_for_patient(patient_uuid: str) -> Any:
        return (
            model._default_manager.filter(**{f"{prefix}uuid": patient_uuid})
            .annotate(audit_object_id=Cast(id_field, CharField()))
            .values("audit_object_id")
        )

    def patients_of(object_ids: list[str]) -> dict[str, tuple[str, str]]:
        lookup = "uuid__in" if id_field == "uuid" else "pk__in"
        valid = [i for i in object_ids if _valid_id(i, uuid=id_field == "uuid")]
        rows = model._default_manager.filter(**{lookup: valid}).values_list(
            id_field,
            f"{prefix}uuid",
            f"{prefix}legal_last_name",
            f"{prefix}legal_first_name",
            f"{prefix}preferred_name",
            f"{prefix}mrn",
        )
        # As the chart names the patient: preferred (or legal) first name, last name and MRN.
        return {
            str(i): (str(p), f"{preferred or first} {last} (MRN {mrn})")
            for i, p, last, first, preferred, mrn in rows
        }

    return PatientRecordType(
        label=model._meta.label_lower,
        name=name,
        ids_for_patient=ids_for_patient,
        patients_of=patients_of,
    )


def _valid_id(value: str, *, uuid: bool) -> bool:
    if not uuid:
        return value.isdigit()
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def register(models_and_paths: list[tuple[type[Model], str, str]]) -> None:
    for model, patient_path, name in models_and_paths:
        patient_record_type_register(
            patient_record_type(model, patient_path=patient_path, name=name)
        )


def register_intake() -> None:
    from intake import models

    register(
        [
            (models.Patient, "", "Patient record"),
            (models.IntakeForm, "patient", "Intake"),
            (models.Finding, "intake__patient", "Screening finding"),
            (models.InstrumentResponse, "patient", "Questionnaire answers"),
            (models.MedicalAssessment, "patient", "Medical assessment"),
            (models.ClinicalAssessment, "patient", "Clinical assessment"),
            (models.Alert, "patient", "Safety alert"),
        ]
    )
