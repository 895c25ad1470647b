"""Writes of the intake app: invitations, the wizard, submission and screening, clearance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake import wizard
from intake.instruments import INSTRUMENTS, PCL5, Score
from intake.messaging import patient_recipient
from intake.models import (
    Alert,
    ClinicalAssessment,
    ClinicPolicy,
    ConsentDocument,
    ConsentSignature,
    Decision,
    Finding,
    FindingSeverity,
    InstrumentResponse,
    IntakeForm,
    IntakeStatus,
    Invitation,
    InvitationRequest,
    InvitationRequestStatus,
    MedicalAssessment,
    OutsideProvider,
    Patient,
    PatientStatus,
    ProviderKind,
)
from intake.screening import screen
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.accounts.services import user_create
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.selectors import trainee_ids
from kap_clinic.notifications.recipients import recipient_for_user
from kap_clinic.notifications.services import message_request, messages_cancel

INVITATION_SALT = "intake.invitation"
INVITATION_TEMPLATE = "intake.invitation"
INVITATION_REMINDER_TEMPLATE = "intake.invitation_reminder"
SAFETY_ALERT_TEMPLATE = "intake.safety_alert"
# Reminders to start the intake, in days after the invitation (issue #4).
INVITATION_REMINDER_DAYS = (2, 5)
# Public request page: at most this many requests from one address per hour.
INVITATION_REQUESTS_PER_HOUR = 3

# --- invitations ----------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The signed token of the emailed link; expiry and single use are checked on the row."""
    return signing.Signer(salt=INVITATION_SALT).sign(str(invitation.uuid))


def invitation_subject_key(patient: Patient) -> str:
    return f"intake-invitation:{patient.uuid}"


@transaction.atomic
def invitation_send(*, patient: Patient, by: User | None) -> Invitation:
    """Invites (or re-invites) a patient: earlier links stop working, reminders follow."""
    if patient.user is not None and patient.user.has_usable_password():
        raise ValidationError("This patient already has an account; they can sign in.")
    now = timezone.now()
    Invitation.objects.filter(
        patient=patient, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    messages_cancel(subject_key=invitation_subject_key(patient))
    policy = ClinicPolicy.get()
    invitation = Invitation.objects.create(
        patient=patient,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=policy.invitation_lifetime_days),
    )
    recipient = patient_recipient(patient)
    refs = {"invitation": str(invitation.uuid)}
    message_request(
        recipient=recipient,
        template_key=INVITATION_TEMPLATE,
        idempotency_key=f"{INVITATION_TEMPLATE}:{invitation.uuid}",
        refs=refs,
        subject_key=invitation_subject_key(patient),
        channel="email",
        essential=True,
    )
    for days in INVITATION_REMINDER_DAYS:
        message_request(
            recipient=recipient,
            template_key=INVITATION_REMINDER_TEMPLATE,
            idempotency_key=f"{INVITATION_REMINDER_TEMPLATE}:{invitation.uuid}:{days}",
            refs=refs,
            subject_key=invitation_subject_key(patient),
            send_at=now + timedelta(days=days),
            channel="email",
            essential=True,
        )
    if patient.status != PatientStatus.INVITED and not patient.intakes.exists():
        patient.status = PatientStatus.INVITED
        patient.save(update_fields=["status"])
    return invitation


def invitation_from_token(token: str) -> Invitation:
    """The usable invitation behind a link; ValidationError for a tampered, used or old one."""
    try:
        invitation_uuid = signing.Signer(salt=INVITATION_SALT).unsign(token)
    except signing.BadSignature as error:
        raise ValidationError("This invitation link is not valid.") from error
    invitation = (
        Invitation.objects.select_related("patient", "patient__user")
        .filter(uuid=invitation_uuid)
        .first()
    )
    if invitation is None:
        raise ValidationError("This invitation link is not valid.")
    if invitation.used_at is not None:
        raise ValidationError("This invitation link has been used already. Please sign in.")
    if invitation.revoked_at is not None:
        raise ValidationError("A newer invitation was sent; please use the link in that email.")
    if not invitation.is_usable():
        raise ValidationError(
            "This invitation link has expired. Please ask the clinic for a new one."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> Patient:
    """Sets the patient's password from a valid link; the link cannot be used again."""
    invitation = invitation_from_token(token)
    # Claim the row so two tabs cannot both use the link.
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not claimed:
        raise ValidationError("This invitation link has been used already. Please sign in.")
    patient = invitation.patient
    if patient.user is None:
        if User.objects.filter(email__iexact=patient.email).exists():
            raise ValidationError("An account with this email exists already. Please sign in.")
        patient.user = user_create(
            email=patient.email.lower(),
            full_name=patient.legal_name,
            role=Role.PATIENT,
            password=password,
        )
        patient.save(update_fields=["user"])
    else:
        patient.user.set_password(password)
        patient.user.save(update_fields=["password"])
    return patient


@transaction.atomic
def invitation_request_create(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: Any,
    email: str,
    reason: str,
    ip_address: str | None,
) -> InvitationRequest:
    since = timezone.now() - timedelta(hours=1)
    recent = InvitationRequest.objects.filter(created_at__gte=since)
    if ip_address and recent.filter(ip_address=ip_address).count() >= INVITATION_REQUESTS_PER_HOUR:
        raise ValidationError("Too many requests from this network. Please try again later.")
    if recent.filter(email__iexact=email).exists():
        raise ValidationError("We have your request already; the clinic will be in touch.")
    return InvitationRequest.objects.create(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        email=email.lower(),
        reason=reason,
        ip_address=ip_address,
    )


def _request_handle(request: InvitationRequest, *, by: User, status: str) -> None:
    claimed = InvitationRequest.objects.filter(
        pk=request.pk, status=InvitationRequestStatus.PENDING
    ).update(status=status, handled_by=by, handled_at=timezone.now())
    if not claimed:
        raise ValidationError("This request has been handled already.")


@transaction.atomic
def invitation_request_accept(*, invitation_request: InvitationRequest, by: User) -> Patient:
    """Creates the patient and sends their invitation."""
    _request_handle(invitation_request, by=by, status=InvitationRequestStatus.ACCEPTED)
    patient = patient_invite(
        legal_first_name=invitation_request.first_name,
        legal_last_name=invitation_request.last_name,
        date_of_birth=invitation_request.date_of_birth,
        email=invitation_request.email,
        by=by,
    )
    InvitationRequest.objects.filter(pk=invitation_request.pk).update(patient=patient)
    return patient


@transaction.atomic
def invitation_request_decline(*, invitation_request: InvitationRequest, by: User) -> None:
    _request_handle(invitation_request, by=by, status=InvitationRequestStatus.DECLINED)


@transaction.atomic
def patient_invite(
    *, legal_first_name: str, legal_last_name: str, date_of_birth: Any, email: str, by: User
) -> Patient:
    if Patient.objects.filter(email__iexact=email).exists():
        raise ValidationError("A patient with this email exists already; resend their invitation.")
    patient = Patient.objects.create(
        legal_first_name=legal_first_name,
        legal_last_name=legal_last_name,
        date_of_birth=date_of_birth,
        email=email.lower(),
        status=PatientStatus.INVITED,
    )
    invitation_send(patient=patient, by=by)
    return patient


# --- the wizard -----------------------------------------------------------------------------------


def intake_current(*, patient: Patient) -> IntakeForm | None:
    return patient.intakes.exclude(status=IntakeStatus.SUPERSEDED).first()


@transaction.atomic
def intake_start(*, patient: Patient) -> IntakeForm:
    """The patient's current intake, starting a draft the first time; stops the reminders."""
    Patient.objects.select_for_update().get(pk=patient.pk)
    intake = intake_current(patient=patient)
    if intake is None:
        intake = IntakeForm.objects.create(patient=patient)
        messages_cancel(subject_key=invitation_subject_key(patient))
    if patient.status == PatientStatus.INVITED:
        patient.status = PatientStatus.INTAKE_IN_PROGRESS
        patient.save(update_fields=["status"])
    return intake


@transaction.atomic
def intake_step_save(*, intake: IntakeForm, step_key: str, answers: dict[str, Any]) -> IntakeForm:
    """Keeps the validated answers of one step as the draft."""
    intake = IntakeForm.objects.select_for_update().get(pk=intake.pk)
    if intake.is_locked:
        raise ValidationError("This intake has been submitted; its answers can no longer change.")
    step = wizard.step_get(step_key)
    if step is None or not wizard.step_reachable(step, intake.answers):
        raise ValidationError("Please complete the earlier steps first.")
    intake.answers = {**intake.answers, step_key: answers}
    intake.updated_at = timezone.now()
    intake.save(update_fields=["answers", "updated_at"])
    return intake


def _validated_answers(answers: dict[str, Any]) -> None:
    missing = [step.title for step in wizard.steps_for(answers) if step.key not in answers]
    if missing:
        raise ValidationError(f"Please complete every step first: {', '.join(missing)}.")


def _scores(answers: dict[str, Any], policy: ClinicPolicy) -> dict[str, Score]:
    scores = {}
    for step in wizard.steps_for(answers):
        if step.instrument_key:
            instrument = INSTRUMENTS[step.instrument_key]
            # CLINICAL.md: the PCL-5 cut-point is policy.
            cut = policy.pcl5_cut_point if instrument.key == PCL5.key else None
            scores[instrument.key] = instrument.score(answers[step.key], cut_point=cut)
    return scores


def _score_and_screen(intake: IntakeForm) -> list[Finding]:
    """Stores the instrument responses and the findings of a locked intake version."""
    policy = ClinicPolicy.get()
    scores = _scores(intake.answers, policy)
    for key, score in scores.items():
        instrument = INSTRUMENTS[key]
        InstrumentResponse.objects.create(
            patient=intake.patient,
            intake=intake,
            instrument_key=key,
            instrument_version=instrument.version,
            answers=instrument.clean(intake.answers[key]),
            total=score.total,
            band=score.band.key,
            band_label=score.band.label,
            recorded_at=intake.submitted_at or timezone.now(),
        )
    return [
        Finding.objects.create(
            intake=intake,
            severity=spec.severity,
            code=spec.code,
            message=spec.message,
            evidence=spec.evidence,
            is_safety=spec.is_safety,
        )
        for spec in screen(answers=intake.answers, scores=scores, policy=policy)
    ]


def _apply_demographics(intake: IntakeForm) -> None:
    patient = intake.patient
    about = intake.answers.get("about", {})
    for name in (
        "preferred_name",
        "sex_at_birth",
        "gender",
        "mobile",
        "address",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
    ):
        setattr(patient, name, about.get(name) or "")
    patient.reminder_channel = about.get("reminder_channel") or patient.reminder_channel
    patient.time_zone = about.get("time_zone") or patient.time_zone
    patient.save()
    providers = intake.answers.get("providers", {})
    patient.outside_providers.all().delete()
    consent = providers.get("consent_to_coordinate") == "yes"
    OutsideProvider.objects.bulk_create(
        OutsideProvider(
            patient=patient,
            kind=kind,
            name=providers[f"{kind}_name"],
            contact=providers.get(f"{kind}_contact") or "",
            consent_to_coordinate=consent,
        )
        for kind in ProviderKind.values
        if providers.get(f"has_{kind}") == "yes"
    )


def safety_alerts_raise(intake: IntakeForm, findings: list[Finding]) -> list[Alert]:
    """Alerts the care team of each safety finding and asks for an urgent message to each."""
    patient = intake.patient
    alerts = []
    team = care_team_for_alerts(patient)
    for finding in findings:
        if not finding.is_safety:
            continue
        alert = Alert.objects.create(patient=patient, finding=finding, message=finding.message)
        alerts.append(alert)
        for member in team:
            message_request(
                recipient=recipient_for_user(member),
                template_key=SAFETY_ALERT_TEMPLATE,
                idempotency_key=f"{SAFETY_ALERT_TEMPLATE}:{alert.uuid}:{member.uuid}",
                refs={"alert": str(alert.uuid)},
                subject_key=f"intake-alert:{alert.uuid}",
                essential=True,
                urgent=True,
            )
    return alerts


def care_team_for_alerts(patient: Patient) -> list[User]:
    """The patient's clinicians; with none assigned yet, every active clinician (triage)."""
    team = [user for user in (patient.prescriber, patient.therapist) if user and user.is_active]
    if team:
        return team
    return list(
        User.objects.filter(is_active=True, role__in=[Role.PRESCRIBER, Role.THERAPIST]).order_by(
            "id"
        )
    )


@transaction.atomic
def intake_submit(*, intake: IntakeForm, by: User, ip_address: str | None) -> IntakeForm:
    """Locks the answers, signs the consents, scores, screens and alerts the care team."""
    intake = IntakeForm.objects.select_for_update().select_related("patient").get(pk=intake.pk)
    if intake.is_locked:
        raise ValidationError("This intake has been submitted already.")
    if intake.patient.user_id != by.pk:
        raise ValidationError("Only the patient can submit their intake.")
    _validated_answers(intake.answers)
    consents = intake.answers["consents"]
    now = timezone.now()
    for kind, version in consents.get("versions", {}).items():
        document = ConsentDocument.objects.filter(kind=kind, version=version).first()
        if document is None:
            raise ValidationError("A consent changed meanwhile; please sign the consents again.")
        ConsentSignature.objects.create(
            intake=intake,
            document=document,
            typed_name=consents["typed_name"],
            agreed=bool(consents.get(f"agree_{kind}")),
            signed_at=now,
            ip_address=ip_address,
        )
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = now
    intake.save(update_fields=["status", "submitted_at"])
    _apply_demographics(intake)
    findings = _score_and_screen(intake)
    safety_alerts_raise(intake, findings)
    Patient.objects.filter(pk=intake.patient_id).update(status=PatientStatus.SCREENED)
    return intake


@transaction.atomic
def intake_correct(
    *, intake: IntakeForm, step_key: str, answers: dict[str, Any], reason: str, by: User
) -> IntakeForm:
    """A staff correction: a new submitted version (the old one kept), screened again.

    Clearance given on the old version is withdrawn until the new one is reviewed.
    """
    intake = IntakeForm.objects.select_for_update().select_related("patient").get(pk=intake.pk)
    if intake.status != IntakeStatus.SUBMITTED:
        raise ValidationError("Only the current submitted intake can be corrected.")
    if not reason.strip():
        raise ValidationError("Please give the reason for the correction.")
    if wizard.step_get(step_key) is None or step_key == "consents":
        raise ValidationError("This step cannot be corrected by staff.")
    intake.status = IntakeStatus.SUPERSEDED
    intake.save(update_fields=["status"])
    now = timezone.now()
    corrected = IntakeForm.objects.create(
        patient=intake.patient,
        version=intake.version + 1,
        status=IntakeStatus.SUBMITTED,
        answers={**intake.answers, step_key: answers},
        started_at=intake.started_at,
        updated_at=now,
        submitted_at=now,
        corrected_by=by,
        correction_reason=reason.strip(),
    )
    _validated_answers(corrected.answers)
    findings = _score_and_screen(corrected)
    safety_alerts_raise(corrected, findings)
    patient = intake.patient
    if patient.status in (
        PatientStatus.CLEARED,
        PatientStatus.NOT_ELIGIBLE,
        PatientStatus.SCREENED,
    ):
        patient.status = PatientStatus.SCREENED
        patient.save(update_fields=["status"])
    return corrected


# --- findings, assessments, clearance -------------------------------------------------------------


@transaction.atomic
def finding_override(*, finding: Finding, reason: str, by: User) -> Finding:
    if not reason.strip():
        raise ValidationError("Overriding a finding needs a written reason.")
    finding.overridden_by = by
    finding.overridden_at = timezone.now()
    finding.override_reason = reason.strip()
    finding.save(update_fields=["overridden_by", "overridden_at", "override_reason"])
    return finding


def _assessable_intake(patient: Patient) -> IntakeForm:
    intake = patient.intakes.filter(status=IntakeStatus.SUBMITTED).first()
    if intake is None:
        raise ValidationError("The patient has not submitted an intake yet.")
    return intake


def _assessment_checks(
    *, intake: IntakeForm, decision: str, reason: str, exclude_override_reason: str, by: User
) -> None:
    if decision not in Decision.values:
        raise ValidationError("Choose a decision.")
    if decision != Decision.CLEARED and not reason.strip():
        raise ValidationError("Please give the reason for this decision.")
    open_excludes = intake.findings.filter(
        severity=FindingSeverity.EXCLUDE, overridden_by__isnull=True
    )
    if decision == Decision.CLEARED and open_excludes.exists():
        if not exclude_override_reason.strip():
            raise ValidationError(
                "This intake has an exclusion finding: clearing needs a written reason."
            )
        for finding in open_excludes:
            finding_override(finding=finding, reason=exclude_override_reason, by=by)


AssessmentT = TypeVar("AssessmentT", MedicalAssessment, ClinicalAssessment)


def _assign_if_unassigned(patient: Patient, by: User) -> None:
    """A clinician who assesses a patient from triage joins the care team in that role."""
    field = "prescriber" if by.role == Role.PRESCRIBER else "therapist"
    if getattr(patient, f"{field}_id") is None:
        setattr(patient, field, by)
        patient.save(update_fields=[field])


def _assessment_record(
    *,
    model: type[AssessmentT],
    role: Role,
    refusal: str,
    patient: Patient,
    by: User,
    data: dict[str, Any],
) -> AssessmentT:
    """Records one clinician's assessment of the current intake and refreshes the clearance."""
    if by.role != role:
        raise ValidationError(refusal)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    intake = _assessable_intake(patient)
    _assessment_checks(
        intake=intake,
        decision=data.get("decision", ""),
        reason=data.get("reason", ""),
        exclude_override_reason=data.get("exclude_override_reason", ""),
        by=by,
    )
    _assign_if_unassigned(patient, by)
    cosigner = _clearance_cosigner(by=by, decision=data.get("decision", ""))
    assessment = model.objects.create(
        patient=patient,
        intake=intake,
        assessed_by=by,
        cosignature_required_from_id=cosigner,
        **data,
    )
    clearance_refresh(patient=patient)
    return assessment


# Higher layers (integration's supervision relationships) tell intake who supervises a
# clinician on a date without intake importing them; None falls back to ``User.supervisor``.
SupervisorInForce = Callable[[User, date], "int | None"]
_supervisor_resolvers: list[SupervisorInForce] = []


def clearance_supervisor_register(resolver: SupervisorInForce) -> None:
    if resolver not in _supervisor_resolvers:
        _supervisor_resolvers.append(resolver)


def _clearance_cosigner(*, by: User, decision: str) -> int | None:
    """A trainee cannot clear a patient alone: the supervisor in force today co-signs it.

    Policy ``SUPERVISION_TRAINEE_MAY_CLEAR_ALONE`` (default False, the safe choice) lifts it.
    """
    if decision != Decision.CLEARED or getattr(
        settings, "SUPERVISION_TRAINEE_MAY_CLEAR_ALONE", False
    ):
        return None
    if not trainee_ids(user_ids=[by.pk]):
        return None
    today = timezone.localdate()
    for resolver in _supervisor_resolvers:
        supervisor_id = resolver(by, today)
        if supervisor_id is not None:
            return supervisor_id
    if by.supervisor_id is None:
        raise ValidationError(
            "A trainee cannot clear a patient alone, and no supervisor is set to co-sign."
        )
    return by.supervisor_id


@transaction.atomic
def assessment_cosign(
    *, assessment: MedicalAssessment | ClinicalAssessment, by: User
) -> MedicalAssessment | ClinicalAssessment:
    """The supervisor co-signs a trainee's clearance; it then counts toward the patient's."""
    model = type(assessment)
    assessment = model.objects.select_for_update().get(pk=assessment.pk)
    if assessment.cosignature_required_from_id is None:
        raise ValidationError("This assessment needs no co-signature.")
    if assessment.cosignature_required_from_id != by.pk:
        raise ValidationError("Only the assessing trainee's supervisor can co-sign this.")
    if assessment.cosigned_at is not None:
        raise ValidationError("This assessment is co-signed already.")
    assessment.cosigned_by = by
    assessment.cosigned_at = timezone.now()
    assessment.save(update_fields=["cosigned_by", "cosigned_at"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=assessment, detail="clearance co-signed")
    clearance_refresh(patient=Patient.objects.select_for_update().get(pk=assessment.patient_id))
    return assessment


@transaction.atomic
def medical_assessment_record(
    *, patient: Patient, by: User, data: dict[str, Any]
) -> MedicalAssessment:
    return _assessment_record(
        model=MedicalAssessment,
        role=Role.PRESCRIBER,
        refusal="The medical assessment is recorded by a prescriber.",
        patient=patient,
        by=by,
        data=data,
    )


@transaction.atomic
def clinical_assessment_record(
    *, patient: Patient, by: User, data: dict[str, Any]
) -> ClinicalAssessment:
    return _assessment_record(
        model=ClinicalAssessment,
        role=Role.THERAPIST,
        refusal="The clinical assessment is recorded by a therapist.",
        patient=patient,
        by=by,
        data=data,
    )


def clearance_decisions(*, patient: Patient) -> tuple[str | None, str | None]:
    """The latest medical and clinical decisions on the patient's current submitted intake."""
    intake = patient.intakes.filter(status=IntakeStatus.SUBMITTED).first()
    if intake is None:
        return None, None
    medical = MedicalAssessment.objects.filter(intake=intake).order_by("-created_at", "-id").first()
    clinical = (
        ClinicalAssessment.objects.filter(intake=intake).order_by("-created_at", "-id").first()
    )
    # A trainee's clearance still awaiting the supervisor's co-signature is not yet a decision.
    return (
        medical.decision if medical and not medical.awaits_cosignature else None,
        clinical.decision if clinical and not clinical.awaits_cosignature else None,
    )


@transaction.atomic
def clearance_refresh(*, patient: Patient) -> Patient:
    """Cleared only with both decisions cleared; not eligible when either declines."""
    if patient.status not in (
        PatientStatus.SCREENED,
        PatientStatus.CLEARED,
        PatientStatus.NOT_ELIGIBLE,
    ):
        return patient
    medical, clinical = clearance_decisions(patient=patient)
    if Decision.NOT_CLEARED in (medical, clinical):
        status = PatientStatus.NOT_ELIGIBLE
    elif medical == clinical == Decision.CLEARED:
        status = PatientStatus.CLEARED
    else:
        status = PatientStatus.SCREENED
    if patient.status != status:
        patient.status = status
        patient.save(update_fields=["status"])
    return patient


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User) -> Alert:
    Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


@transaction.atomic
def clinic_policy_update(*, policy: ClinicPolicy, by: User) -> ClinicPolicy:
    if not by.is_clinic_admin:
        raise ValidationError("Only clinic admins change clinic policy.")
    policy.full_clean()
    policy.save()
    return policy


# --- leaving the practice ----------------------------------------------------------------------

CLOSING_STATUSES = (PatientStatus.DISCHARGED, PatientStatus.DECLINED)


@transaction.atomic
def patient_status_close(*, patient: Patient, status: str, reason: str, by: User) -> Patient:
    """Discharges the patient from the practice, or records that they declined treatment."""
    if status not in CLOSING_STATUSES:
        raise ValidationError("Choose discharge from the practice or declined treatment.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; it is kept in the record."})
    if by.role not in (Role.PRESCRIBER, Role.CLINIC_ADMIN):
        raise ValidationError("Only a prescriber or a clinic admin discharges a patient.")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.status = status
    patient.status_reason = reason[:300]
    patient.status_changed_at = timezone.now()
    patient.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=patient, detail=f"status {status}")
    return patient
