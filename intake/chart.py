"""The intake app's part of the patient chart: details, intake and screening, documents, badges."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.urls import reverse

from intake import audit_names
from intake.conversations.models import Thread
from intake.conversations.services import NOTICE
from intake.details import DETAILS_LABELS, details_change_labels
from intake.messaging import PATIENT_KIND
from intake.models import (
    Alert,
    ClinicalAssessment,
    ConsentSignature,
    Finding,
    FindingSeverity,
    InstrumentResponse,
    IntakeForm,
    IntakeStatus,
    Invitation,
    MedicalAssessment,
    Patient,
    PatientDetailsChange,
    PatientStatus,
)
from intake.selectors import can_see_clinical
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.chart import (
    ALL_STAFF,
    CLINICIANS,
    Badge,
    TimelineEvent,
    chart_badge_register,
    chart_section_register,
    chart_timeline_register,
)
from kap_clinic.notifications.chart import template_label
from kap_clinic.notifications.models import Message

CLINICAL_READERS = frozenset({*CLINICIANS, Role.CLINIC_ADMIN})


def _current_intake(patient: Patient) -> IntakeForm | None:
    return (
        IntakeForm.objects.filter(patient=patient)
        .exclude(status=IntakeStatus.SUPERSEDED)
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("overridden_by")),
            Prefetch("responses", queryset=InstrumentResponse.objects.order_by("id")),
        )
        .first()
    )


# --- sections -------------------------------------------------------------------------------------


def _details(request: HttpRequest, patient: Patient, user: User) -> dict[str, Any]:
    return {
        "can_invite": user.has_perm("intake.add_patient") and not user.is_patient,
        "can_see_clinical": can_see_clinical(user),
        "invitation": patient.invitations.first(),
        "outside_providers": list(patient.outside_providers.all()),
        "can_discharge": user.role in (Role.PRESCRIBER, Role.CLINIC_ADMIN)
        and patient.status not in (PatientStatus.DISCHARGED, PatientStatus.DECLINED),
        "details_changes": _details_changes(patient, user),
    }


DETAILS_CHANGES_SHOWN = 5


def _details_changes(patient: Patient, user: User) -> list[dict[str, Any]]:
    """The patient's latest own changes to their details, for staff: what changed, old and new."""
    if user.is_patient:
        return []
    changes = PatientDetailsChange.objects.filter(patient=patient)[:DETAILS_CHANGES_SHOWN]
    return [
        {
            "change": change,
            "rows": [
                (label, *change.changes[name])
                for name, label in DETAILS_LABELS.items()
                if name in change.changes
            ],
        }
        for change in changes
    ]


def _intake(request: HttpRequest, patient: Patient, user: User) -> dict[str, Any]:
    intake = _current_intake(patient)
    findings = list(intake.findings.all()) if intake else []
    return {
        "intake": intake,
        "grouped_findings": [
            (severity, [finding for finding in findings if finding.severity == severity.value])
            for severity in FindingSeverity
        ],
        "responses": list(intake.responses.all()) if intake else [],
        "medical_assessments": list(
            MedicalAssessment.objects.filter(patient=patient).select_related("assessed_by")
        ),
        "clinical_assessments": list(
            ClinicalAssessment.objects.filter(patient=patient).select_related("assessed_by")
        ),
    }


def _documents(request: HttpRequest, patient: Patient, user: User) -> dict[str, Any]:
    return {
        "signatures": list(
            ConsentSignature.objects.filter(intake__patient=patient)
            .select_related("document", "intake")
            .order_by("-signed_at")
        )
    }


def _messages(request: HttpRequest, patient: Patient, user: User) -> dict[str, Any]:
    outbox = list(
        Message.objects.filter(recipient_kind=PATIENT_KIND, recipient_id=str(patient.uuid))
        .exclude(template_key=NOTICE)
        .order_by("-send_at", "-id")[:200]
    )
    for message in outbox:
        message.label = template_label(message.template_key)  # type: ignore[attr-defined]
    threads = list(
        Thread.objects.filter(patient=patient)
        .select_related("created_by")
        .annotate(count=Count("messages"))
    )
    return {"threads": threads, "outbox": outbox}


# --- timeline -------------------------------------------------------------------------------------


def _administrative_events(patient: Patient, user: User) -> list[TimelineEvent]:
    details = reverse("intake:chart_section", args=[patient.uuid, "details"])
    events = [
        TimelineEvent(
            at=invitation.created_at,
            kind="intake.invitation",
            title="Invitation sent",
            url=details,
            ref=str(invitation.uuid),
        )
        for invitation in Invitation.objects.filter(patient=patient)
    ]
    intake_page = reverse("intake:chart_section", args=[patient.uuid, "intake"])
    for intake in IntakeForm.objects.filter(patient=patient, submitted_at__isnull=False):
        events.append(
            TimelineEvent(
                at=intake.submitted_at,  # type: ignore[arg-type]
                kind="intake.submitted",
                title=f"Intake submitted (version {intake.version})",
                url=intake_page if user.role in CLINICAL_READERS else details,
                ref=str(intake.uuid),
            )
        )
    return events


def _details_change_events(patient: Patient, user: User) -> list[TimelineEvent]:
    details = reverse("intake:chart_section", args=[patient.uuid, "details"])
    return [
        TimelineEvent(
            at=change.changed_at,
            kind="intake.details_changed",
            title="Details changed by the patient",
            detail=", ".join(details_change_labels(change)),
            url=f"{details}#details-changes",
            ref=str(change.uuid),
        )
        for change in PatientDetailsChange.objects.filter(patient=patient)
    ]


def _clinical_events(patient: Patient, user: User) -> list[TimelineEvent]:
    summary = reverse("intake:intake_summary", args=[patient.uuid])
    events: list[TimelineEvent] = []
    findings = Finding.objects.filter(
        intake__patient=patient, intake__submitted_at__isnull=False
    ).select_related("intake")
    for finding in findings:
        events.append(
            TimelineEvent(
                at=finding.intake.submitted_at,  # type: ignore[arg-type]
                kind="intake.finding",
                title=f"Screening finding ({finding.get_severity_display().lower()}): "
                f"{finding.message}",
                url=f"{summary}#findings",
                ref=str(finding.uuid),
            )
        )
    assessments: list[MedicalAssessment | ClinicalAssessment] = [
        *MedicalAssessment.objects.filter(patient=patient).select_related("assessed_by"),
        *ClinicalAssessment.objects.filter(patient=patient).select_related("assessed_by"),
    ]
    for assessment in assessments:
        what = "Medical" if isinstance(assessment, MedicalAssessment) else "Clinical"
        events.append(
            TimelineEvent(
                at=assessment.created_at,
                kind="intake.assessment",
                title=f"{what} assessment: {assessment.get_decision_display().lower()}",
                detail=f"by {assessment.assessed_by.full_name}",
                url=f"{summary}#assessments",
                ref=str(assessment.uuid),
            )
        )
    return events


# --- header badges --------------------------------------------------------------------------------


def _badges(patient: Patient, user: User) -> list[Badge]:
    summary = reverse("intake:intake_summary", args=[patient.uuid])
    badges: list[Badge] = []
    open_alerts = Alert.objects.filter(patient=patient, acknowledged_at__isnull=True).count()
    if open_alerts:
        badges.append(Badge(label="Safety alert", tone="danger", url=summary))
    intake = _current_intake(patient)
    if intake is None:
        return badges
    findings = list(intake.findings.all())
    if any(finding.is_safety for finding in findings) and not open_alerts:
        badges.append(Badge(label="Safety finding", tone="warning", url=summary))
    if any(f.severity == FindingSeverity.EXCLUDE and f.is_overridden for f in findings):
        badges.append(Badge(label="Exclusion overridden", tone="warning", url=summary))
    medical = intake.answers.get("medical") or {}
    if medical.get("ketamine_allergy") == "yes":
        badges.append(Badge(label="Ketamine allergy", tone="danger", url=summary))
    if medical.get("allergies") == "yes":
        badges.append(
            Badge(
                label="Allergies",
                tone="warning",
                url=summary,
                detail=str(medical.get("allergy_details", ""))[:200],
            )
        )
    return badges


def register() -> None:
    audit_names.register()
    chart_section_register(
        key="details",
        title="Details",
        roles=frozenset({*ALL_STAFF, Role.PATIENT}),
        template="intake/chart/details.html",
        context=_details,
        order=10,
    )
    chart_section_register(
        key="intake",
        title="Intake and screening",
        roles=CLINICAL_READERS,
        template="intake/chart/intake.html",
        context=_intake,
        order=20,
    )
    chart_section_register(
        key="messages",
        title="Messages",
        roles=ALL_STAFF,
        template="intake/chart/messages.html",
        context=_messages,
        order=80,
    )
    chart_section_register(
        key="documents",
        title="Documents",
        roles=CLINICAL_READERS,
        template="intake/chart/documents.html",
        context=_documents,
        order=90,
    )
    chart_timeline_register("intake.administrative", ALL_STAFF, _administrative_events)
    chart_timeline_register("intake.clinical", CLINICAL_READERS, _clinical_events)
    chart_timeline_register("intake.details_changes", ALL_STAFF, _details_change_events)
    chart_badge_register("intake", CLINICAL_READERS, _badges)
