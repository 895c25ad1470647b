"""FHIR mapping of sessions: Location, Appointment, Encounter (each visit), MedicationAdministration
(each dose: drug, route, dose, lot), vital-sign Observations of the dosing day, AdverseEvent and
CarePlan (the course). Codes and units from CLINICAL.md through intake's builders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Any

from django.db.models import QuerySet

from intake.fhir import (
    US_CORE,
    VITAL_CODES,
    VITAL_PROFILES,
    VITAL_SIGNS,
    clinical_rows,
    instant,
    observation_search,
    patient_reference,
    quantity,
    split_id,
    vital_observation,
)
from kap_clinic.accounts.models import User
from kap_clinic.interop.registry import (
    FhirSource,
    Resource,
    by_uuid,
    fhir_source_register,
    reference,
)
from kap_clinic.interop.search import choice_token, date_filter, fixed_token, reference_filter
from sessions.models import (
    AdverseEvent,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
    DoseAdministration,
    Location,
    Readiness,
    RoomKind,
    Route,
    Severity,
    VitalsEntry,
)

SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
APPOINTMENT_KIND_SYSTEM = "urn:kap:appointment-kind"
DRUG_SYSTEM = "urn:kap:drug"

# SNOMED CT route of administration codes.
ROUTE_CODES = {
    Route.IV: ("47625008", "Intravenous route"),
    Route.IM: ("78421000", "Intramuscular route"),
    Route.SUBLINGUAL_ORAL: ("37839007", "Sublingual route"),
    Route.INTRANASAL_ESKETAMINE: ("46713006", "Nasal route"),
}
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.IN_PROGRESS: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
ENCOUNTER_STATUS = {
    AppointmentStatus.CHECKED_IN: "arrived",
    AppointmentStatus.IN_PROGRESS: "in-progress",
    AppointmentStatus.COMPLETED: "finished",
}
CAREPLAN_STATUS = {
    CourseStatus.PLANNED: "draft",
    CourseStatus.ACTIVE: "active",
    CourseStatus.COMPLETED: "completed",
    CourseStatus.CANCELLED: "revoked",
}


def _kind_concept(kind: str) -> dict[str, Any]:
    return {
        "coding": [{"system": APPOINTMENT_KIND_SYSTEM, "code": kind}],
        "text": AppointmentKind(kind).label,
    }


def encounter_reference(appointment: Appointment) -> dict[str, str]:
    return reference("Encounter", appointment)


# --- Location ------------------------------------------------------------------------------------


def location_resource(location: Location) -> Resource:
    resource: Resource = {
        "resourceType": "Location",
        "id": str(location.uuid),
        "meta": {"profile": [US_CORE + "us-core-location"]},
        "status": "active" if location.is_active else "inactive",
        "name": location.name,
    }
    if location.address:
        resource["address"] = {"text": location.address}
    if location.phone:
        resource["telecom"] = [{"system": "phone", "value": location.phone}]
    return resource


# --- Appointment and Encounter --------------------------------------------------------------------


def appointment_resource(appointment: Appointment) -> Resource:
    participants: list[dict[str, Any]] = [
        {"actor": patient_reference(appointment.patient), "status": "accepted"}
    ]
    for clinician in (appointment.medical_monitor, appointment.therapist):
        if clinician is not None:
            participants.append(
                {"actor": reference("Practitioner", clinician), "status": "accepted"}
            )
    participants.append(
        {"actor": reference("Location", appointment.location), "status": "accepted"}
    )
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appointment.uuid),
        "status": APPOINTMENT_STATUS[AppointmentStatus(appointment.status)],
        "serviceType": [_kind_concept(appointment.kind)],
        "description": f"{AppointmentKind(appointment.kind).label} session",
        "start": instant(appointment.starts_at),
        "end": instant(appointment.ends_at),
        "created": instant(appointment.created_at),
        "participant": participants,
    }
    if appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    return resource


def _appointments(user: User) -> QuerySet[Appointment]:
    return (
        clinical_rows(Appointment.objects.all(), user)
        .select_related("patient", "location", "room", "medical_monitor", "therapist")
        .order_by("starts_at", "id")
    )


def encounter_resource(appointment: Appointment) -> Resource:
    virtual = appointment.room.kind == RoomKind.TELEHEALTH
    participants = [
        {"individual": reference("Practitioner", clinician)}
        for clinician in (appointment.medical_monitor, appointment.therapist)
        if clinician is not None
    ]
    period: dict[str, str] = {"start": instant(appointment.checked_in_at or appointment.starts_at)}
    if appointment.status == AppointmentStatus.COMPLETED:
        period["end"] = instant(appointment.ends_at)
    resource: Resource = {
        "resourceType": "Encounter",
        "id": str(appointment.uuid),
        "meta": {"profile": [US_CORE + "us-core-encounter"]},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{appointment.uuid}"}],
        "status": ENCOUNTER_STATUS[AppointmentStatus(appointment.status)],
        "class": {
            "system": ACT_CODE,
            "code": "VR" if virtual else "AMB",
            "display": "virtual" if virtual else "ambulatory",
        },
        "type": [_kind_concept(appointment.kind)],
        "subject": patient_reference(appointment.patient),
        "appointment": [reference("Appointment", appointment)],
        "period": period,
        "location": [{"location": reference("Location", appointment.location)}],
    }
    if participants:
        resource["participant"] = participants
    return resource


def _encounters(user: User) -> QuerySet[Appointment]:
    return _appointments(user).filter(status__in=list(ENCOUNTER_STATUS))


def _status_filter(mapping: dict[Any, str]) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    def apply(rows: QuerySet[Any], value: str) -> QuerySet[Any]:
        wanted = set(value.split(","))
        return rows.filter(
            status__in=[ours for ours, theirs in mapping.items() if theirs in wanted]
        )

    return apply


# --- MedicationAdministration -----------------------------------------------------------------


def medication_administration_resource(dose: DoseAdministration) -> Resource:
    appointment = dose.dosing_record.appointment
    route_code, route_display = ROUTE_CODES[Route(dose.route)]
    dosage: dict[str, Any] = {
        "route": {"coding": [{"system": SNOMED, "code": route_code, "display": route_display}]},
        "dose": quantity(dose.dose_mg, "mg", "mg"),
    }
    if dose.dose_mg_per_kg is not None:
        dosage["text"] = f"{dose.dose_mg_per_kg} mg/kg at {dose.weight_kg} kg"
    return {
        "resourceType": "MedicationAdministration",
        "id": str(dose.uuid),
        # The lot lives on the Medication (R4 has no lot on the administration itself).
        "contained": [
            {
                "resourceType": "Medication",
                "id": "medicine",
                "code": {
                    "coding": [{"system": DRUG_SYSTEM, "code": dose.drug}],
                    "text": dose.get_drug_display(),
                },
                "batch": {"lotNumber": dose.lot_number},
            }
        ],
        "status": "completed",
        "medicationReference": {"reference": "#medicine", "display": dose.get_drug_display()},
        "subject": patient_reference(appointment.patient),
        "context": encounter_reference(appointment),
        "effectivePeriod": {"start": instant(dose.started_at), "end": instant(dose.ended_at)},
        "performer": [{"actor": reference("Practitioner", dose.given_by)}],
        "dosage": dosage,
    }


def _doses(user: User) -> QuerySet[DoseAdministration]:
    return (
        clinical_rows(
            DoseAdministration.objects.all(), user, "dosing_record__appointment__patient__"
        )
        .select_related("dosing_record__appointment__patient", "given_by")
        .order_by("started_at", "id")
    )


# --- Observation: vital signs of the dosing day -------------------------------------------------

_VITALS_ENTRY_KINDS = {
    "blood_pressure": ("bp", "blood_pressure_systolic"),
    "heart_rate": ("hr", "heart_rate"),
    "oxygen_saturation": ("spo2", "spo2"),
    "respiratory_rate": ("rr", "respiratory_rate"),
}
_RECORD_PATIENT = "dosing_record__appointment__patient__"


def _vitals_entry_source(kind: str) -> FhirSource:
    short, field = _VITALS_ENTRY_KINDS[kind]
    prefix = f"dv-{short}-"

    def rows(user: User) -> QuerySet[VitalsEntry]:
        entries = VitalsEntry.objects.filter(**{f"{field}__isnull": False})
        return (
            clinical_rows(entries, user, _RECORD_PATIENT)
            .select_related("dosing_record__appointment__patient")
            .order_by("taken_at", "id")
        )

    def to_resource(entry: VitalsEntry) -> Resource:
        appointment = entry.dosing_record.appointment
        return vital_observation(
            # Entries have no UUID of their own: the dosing record's, then the entry's number.
            fhir_id=f"{prefix}{entry.dosing_record.uuid}.{entry.pk}",
            patient=appointment.patient,
            when=entry.taken_at,
            kind=kind,
            values={
                "systolic": entry.blood_pressure_systolic,
                "diastolic": entry.blood_pressure_diastolic,
                "heart_rate": entry.heart_rate,
                "spo2": entry.spo2,
                "respiratory_rate": entry.respiratory_rate,
            },
            encounter=encounter_reference(appointment),
        )

    def by_id(entries: QuerySet[VitalsEntry], fhir_id: str) -> QuerySet[VitalsEntry]:
        parts = split_id(fhir_id, prefix)
        if parts is None or not parts[1].isdigit():
            return entries.none()
        return entries.filter(dosing_record__uuid=parts[0], pk=int(parts[1]))

    return FhirSource(
        resource_type="Observation",
        key=f"dosing-{kind}",
        rows=rows,
        to_resource=to_resource,
        by_id=by_id,
        search=observation_search(
            patient_path=f"{_RECORD_PATIENT}uuid",
            date_field="taken_at",
            codes=VITAL_CODES[kind],
            category=VITAL_SIGNS,
        ),
        profiles=(VITAL_PROFILES[kind],),
    )


def _weights(user: User) -> QuerySet[Readiness]:
    return (
        clinical_rows(
            Readiness.objects.filter(weight_kg__isnull=False), user, "appointment__patient__"
        )
        .select_related("appointment__patient")
        .order_by("staff_checked_at", "id")
    )


def weight_resource(readiness: Readiness) -> Resource:
    appointment = readiness.appointment
    return vital_observation(
        fhir_id=f"rd-wt-{readiness.uuid}",
        patient=appointment.patient,
        when=readiness.staff_checked_at or appointment.checked_in_at or appointment.starts_at,
        kind="body_weight",
        values={"weight_kg": readiness.weight_kg or Decimal(0)},
        encounter=encounter_reference(appointment),
    )


# --- AdverseEvent ------------------------------------------------------------------------------

SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"


def adverse_event_resource(event: AdverseEvent) -> Resource:
    appointment = event.dosing_record.appointment
    serious = event.severity == Severity.SERIOUS
    severity = "severe" if serious else event.severity
    return {
        "resourceType": "AdverseEvent",
        "id": f"{event.dosing_record.uuid}.{event.pk}",
        "actuality": "actual",
        "event": {"text": event.description},
        "subject": patient_reference(appointment.patient),
        "encounter": encounter_reference(appointment),
        "date": instant(event.occurred_at),
        "recorder": reference("Practitioner", event.recorded_by),
        "seriousness": {
            "coding": [
                {"system": SERIOUSNESS_SYSTEM, "code": "serious" if serious else "non-serious"}
            ]
        },
        "severity": {"coding": [{"system": SEVERITY_SYSTEM, "code": severity}]},
        "outcome": {"text": event.action_taken},
    }


def _adverse_events(user: User) -> QuerySet[AdverseEvent]:
    return (
        clinical_rows(AdverseEvent.objects.all(), user, _RECORD_PATIENT)
        .select_related("dosing_record__appointment__patient", "recorded_by")
        .order_by("occurred_at", "id")
    )


def _adverse_event_by_id(rows: QuerySet[AdverseEvent], fhir_id: str) -> QuerySet[AdverseEvent]:
    parts = split_id(fhir_id, "")
    if parts is None or not parts[1].isdigit():
        return rows.none()
    return rows.filter(dosing_record__uuid=parts[0], pk=int(parts[1]))


# --- CarePlan (the course) ------------------------------------------------------------------------

CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"


def care_plan_resource(course: Course) -> Resource:
    protocol = course.protocol
    unit = "mg/kg" if protocol.dose_rule == "mg_per_kg" else "mg"
    summary = (
        f"{protocol.name}: {protocol.dosing_sessions} dosing sessions of "
        f"{protocol.get_drug_display()} ({protocol.get_route_display()}), planned dose "
        f"{course.planned_dose.normalize()} {unit}"
        f", from {course.start_date.isoformat()}, with preparation and integration sessions."
    )
    return {
        "resourceType": "CarePlan",
        "id": str(course.uuid),
        "meta": {"profile": [US_CORE + "us-core-careplan"]},
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escape(summary)}</div>',
        },
        "status": CAREPLAN_STATUS[CourseStatus(course.status)],
        "intent": "plan",
        "category": [{"coding": [{"system": CAREPLAN_CATEGORY, "code": "assess-plan"}]}],
        "title": f"Ketamine-assisted psychotherapy course ({protocol.name})",
        "description": summary,
        "subject": patient_reference(course.patient),
        "period": {"start": course.start_date.isoformat()},
        "created": instant(course.created_at),
        "contributor": [
            reference("Practitioner", course.prescriber),
            reference("Practitioner", course.therapist),
        ],
    }


def _courses(user: User) -> QuerySet[Course]:
    return (
        clinical_rows(Course.objects.all(), user)
        .select_related("patient", "protocol", "prescriber", "therapist")
        .order_by("start_date", "id")
    )


def _patient_search(path: str = "patient__uuid") -> dict[str, Callable[..., Any]]:
    return {
        "patient": reference_filter(path, "Patient"),
        "subject": reference_filter(path, "Patient"),
    }


def register() -> None:
    sources = [
        FhirSource(
            resource_type="Location",
            key="location",
            rows=lambda user: Location.objects.order_by("name"),
            to_resource=location_resource,
            by_id=by_uuid(),
            search={"name": lambda rows, value: rows.filter(name__icontains=value)},
            profiles=(US_CORE + "us-core-location",),
            clinical=False,
        ),
        FhirSource(
            resource_type="Appointment",
            key="appointment",
            rows=_appointments,
            to_resource=appointment_resource,
            by_id=by_uuid(),
            search={
                "patient": reference_filter("patient__uuid", "Patient"),
                "actor": reference_filter("patient__uuid", "Patient"),
                "date": date_filter("starts_at"),
                "status": _status_filter(APPOINTMENT_STATUS),
                "service-type": choice_token(
                    "kind", APPOINTMENT_KIND_SYSTEM, AppointmentKind.values
                ),
                "location": reference_filter("location__uuid", "Location"),
            },
            clinical=False,
        ),
        FhirSource(
            resource_type="Encounter",
            key="visit",
            rows=_encounters,
            to_resource=encounter_resource,
            by_id=by_uuid(),
            search={
                **_patient_search(),
                "date": date_filter("starts_at"),
                "status": _status_filter(ENCOUNTER_STATUS),
                "type": choice_token("kind", APPOINTMENT_KIND_SYSTEM, AppointmentKind.values),
            },
            profiles=(US_CORE + "us-core-encounter",),
        ),
        FhirSource(
            resource_type="MedicationAdministration",
            key="dose",
            rows=_doses,
            to_resource=medication_administration_resource,
            by_id=by_uuid(),
            search={
                **_patient_search(f"{_RECORD_PATIENT}uuid"),
                "effective-time": date_filter("started_at"),
                "code": choice_token("drug", DRUG_SYSTEM, ["ketamine", "esketamine"]),
                "context": reference_filter("dosing_record__appointment__uuid", "Encounter"),
            },
        ),
        FhirSource(
            resource_type="Observation",
            key="dosing-body_weight",
            rows=_weights,
            to_resource=weight_resource,
            by_id=by_uuid("rd-wt-"),
            search=observation_search(
                patient_path="appointment__patient__uuid",
                date_field="staff_checked_at",
                codes=VITAL_CODES["body_weight"],
                category=VITAL_SIGNS,
            ),
            profiles=(VITAL_PROFILES["body_weight"],),
        ),
        FhirSource(
            resource_type="AdverseEvent",
            key="dosing-adverse-event",
            rows=_adverse_events,
            to_resource=adverse_event_resource,
            by_id=_adverse_event_by_id,
            search={
                **_patient_search(f"{_RECORD_PATIENT}uuid"),
                "date": date_filter("occurred_at"),
                "severity": lambda rows, value: rows.filter(
                    severity__in=[v for v in value.split(",") if v != "severe"]
                    + (["severe", "serious"] if "severe" in value.split(",") else [])
                ),
            },
        ),
        FhirSource(
            resource_type="CarePlan",
            key="course",
            rows=_courses,
            to_resource=care_plan_resource,
            by_id=by_uuid(),
            search={
                **_patient_search(),
                "date": date_filter("start_date", dates=True),
                "category": fixed_token((CAREPLAN_CATEGORY, "assess-plan")),
                "status": _status_filter(CAREPLAN_STATUS),
            },
            profiles=(US_CORE + "us-core-careplan",),
        ),
    ]
    sources += [_vitals_entry_source(kind) for kind in _VITALS_ENTRY_KINDS]
    for source in sources:
        fhir_source_register(source)
