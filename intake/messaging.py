"""Patients as recipients of messages: the "patient" kind of the notifications outbox."""

from __future__ import annotations

from intake.models import Patient
from kap_clinic.notifications.recipients import Recipient, recipient_kind_register

PATIENT_KIND = "patient"


def patient_recipient(patient: Patient) -> Recipient:
    """The patient's current contact details, as the outbox needs them."""
    return Recipient(
        kind=PATIENT_KIND,
        id=str(patient.uuid),
        user=patient.user,
        email=patient.email,
        mobile=patient.mobile,
        time_zone=patient.time_zone,
    )


def _resolve_patient(patient_uuid: str) -> Recipient | None:
    patient = Patient.objects.select_related("user").filter(uuid=patient_uuid).first()
    return patient_recipient(patient) if patient else None


def register() -> None:
    recipient_kind_register(PATIENT_KIND, _resolve_patient)
