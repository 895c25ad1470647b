"""Writes of the clinic's set-up: organisation, staff accounts and credentials.

Every service audits itself in its own transaction. Services never make anyone a superuser and
never change another user's email address or password: invited staff set their own password
from the emailed link, and a user moves their own email only from a link sent to the new address.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import STAFF_ROLES, Role
from kap_clinic.accounts.services import user_create, user_role_set
from kap_clinic.accounts.tokens.services import api_tokens_revoke_all
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.models import (
    DeaRegistration,
    EmailChange,
    Organisation,
    ProfessionalLicence,
    StaffInvitation,
    StaffProfile,
    SupervisionStatus,
)
from kap_clinic.notifications.recipients import Recipient, recipient_for_user
from kap_clinic.notifications.services import message_request, messages_cancel

STAFF_INVITATION_SALT = "clinic.staff_invitation"
STAFF_INVITATION_TEMPLATE = "clinic.staff_invitation"
# Clinic practice: an invitation to staff lasts 7 days, like a patient's (issue 4).
STAFF_INVITATION_DAYS = 7
EMAIL_CHANGE_SALT = "clinic.email_change"
EMAIL_CHANGE_TEMPLATE = "clinic.email_change"
EMAIL_CHANGE_KIND = "email_change"
# A confirmation link for a new email address lasts one day, like a password reset link.
EMAIL_CHANGE_HOURS = 24
# Logos are printed on documents: PNG or JPEG, at most 1 MB.
LOGO_MAX_BYTES = 1024 * 1024
_LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


# --- organisation ---------------------------------------------------------------------------------


def logo_validate(upload: UploadedFile) -> None:
    if upload.size is not None and upload.size > LOGO_MAX_BYTES:
        raise ValidationError("The logo must be 1 MB or smaller.", code="logo_size")
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in _LOGO_SIGNATURES):
        raise ValidationError("The logo must be a PNG or JPEG image.", code="logo_type")


@transaction.atomic
def organisation_save(*, by: User, **fields: Any) -> Organisation:
    """Creates or updates the clinic's one organisation row."""
    logo = fields.pop("logo", None)
    organisation = Organisation.objects.select_for_update().filter(id=1).first()
    created = organisation is None
    if organisation is None:
        organisation = Organisation(id=1)
    for name, value in fields.items():
        setattr(organisation, name, value)
    if isinstance(logo, UploadedFile):
        logo_validate(logo)
        organisation.logo = logo
    elif logo is False:  # the "clear" box of the file input
        organisation.logo = ""
    organisation.full_clean()
    organisation.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=organisation,
        object_id="1",
        detail="organisation set up" if created else "organisation changed",
    )
    return organisation


# --- staff accounts -------------------------------------------------------------------------------


def _refuse_losing_last_admin(user: User) -> None:
    """Refuses a change that would leave the clinic without an active clinic admin.

    Locks the active admins' rows so two concurrent demotions cannot both pass.
    """
    if not (user.is_active and user.role == Role.CLINIC_ADMIN):
        return
    admins = list(
        User.objects.select_for_update()
        .filter(role=Role.CLINIC_ADMIN, is_active=True)
        .values_list("id", flat=True)
    )
    if [admin_id for admin_id in admins if admin_id != user.id] == []:
        raise ValidationError(
            "This is the clinic's last active clinic admin; make someone else a clinic admin first."
        )


def staff_invitation_token(invitation: StaffInvitation) -> str:
    return signing.Signer(salt=STAFF_INVITATION_SALT).sign(str(invitation.uuid))


@transaction.atomic
def staff_invite(*, email: str, full_name: str, role: Role, by: User) -> StaffInvitation:
    """Creates a staff account without a password and emails a link to set one."""
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Staff are invited as front desk, clinician or admin."})
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone already has an account with this email."})
    user = user_create(email=email, full_name=full_name.strip(), role=role)
    StaffProfile.objects.create(user=user)
    invitation = _invitation_create(user=user, by=by)
    audit_record(
        action=AuditAction.CREATE, actor=by, obj=user, detail=f"staff invited as {role.value}"
    )
    return invitation


def _invitation_create(*, user: User, by: User) -> StaffInvitation:
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    messages_cancel(subject_key=f"staff-invitation:{user.uuid}")
    invitation = StaffInvitation.objects.create(
        user=user,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=STAFF_INVITATION_DAYS),
    )
    message_request(
        recipient=recipient_for_user(user),
        template_key=STAFF_INVITATION_TEMPLATE,
        idempotency_key=f"{STAFF_INVITATION_TEMPLATE}:{invitation.uuid}",
        refs={"invitation": str(invitation.uuid)},
        subject_key=f"staff-invitation:{user.uuid}",
        channel="email",
        essential=True,
    )
    return invitation


@transaction.atomic
def staff_invitation_resend(*, user: User, by: User) -> StaffInvitation:
    if user.has_usable_password():
        raise ValidationError("This person has set their password already; they can sign in.")
    if not user.is_active:
        raise ValidationError("This account is deactivated; reactivate it first.")
    invitation = _invitation_create(user=user, by=by)
    audit_record(action=AuditAction.UPDATE, actor=by, obj=user, detail="staff invitation resent")
    return invitation


def staff_invitation_from_token(token: str) -> StaffInvitation:
    try:
        invitation_uuid = signing.Signer(salt=STAFF_INVITATION_SALT).unsign(token)
    except signing.BadSignature as error:
        raise ValidationError("This invitation link is not valid.") from error
    invitation = StaffInvitation.objects.select_related("user").filter(uuid=invitation_uuid).first()
    if invitation is None:
        raise ValidationError("This invitation link is not valid.")
    if invitation.used_at is not None:
        raise ValidationError("This invitation link has been used already. Please sign in.")
    if invitation.revoked_at is not None:
        raise ValidationError("A newer invitation was sent; please use the link in that email.")
    if not invitation.is_usable() or not invitation.user.is_active:
        raise ValidationError("This invitation link has expired. Please ask the clinic admin.")
    return invitation


@transaction.atomic
def staff_invitation_accept(*, token: str, password: str) -> User:
    """Sets the invited user's own password; the link cannot be used again."""
    invitation = staff_invitation_from_token(token)
    claimed = StaffInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not claimed:
        raise ValidationError("This invitation link has been used already. Please sign in.")
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=AuditAction.UPDATE, actor=user, obj=user, detail="invitation accepted")
    return user


@transaction.atomic
def staff_role_change(*, user: User, role: Role, by: User) -> User:
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Choose a staff role."})
    if user.role not in STAFF_ROLES:
        raise ValidationError("Only staff roles are managed here.")
    if role == user.role:
        return user
    if role != Role.CLINIC_ADMIN:
        _refuse_losing_last_admin(user)
    previous = user.role
    user_role_set(user=user, role=role)
    audit_record(
        action=AuditAction.UPDATE, actor=by, obj=user, detail=f"role {previous} -> {role.value}"
    )
    return user


@transaction.atomic
def staff_deactivate(*, user: User, by: User) -> User:
    if user.role not in STAFF_ROLES:
        raise ValidationError("Only staff accounts are managed here.")
    if not user.is_active:
        return user
    _refuse_losing_last_admin(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    StaffInvitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    # A deactivated account's API tokens stop working at once and are shown as revoked.
    api_tokens_revoke_all(request=None, user=user, reason="account deactivated")
    audit_record(action=AuditAction.UPDATE, actor=by, obj=user, detail="staff deactivated")
    return user


@transaction.atomic
def staff_reactivate(*, user: User, by: User) -> User:
    if user.role not in STAFF_ROLES:
        raise ValidationError("Only staff accounts are managed here.")
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=user, detail="staff reactivated")
    return user


@transaction.atomic
def staff_profile_save(
    *, user: User, npi: str, supervision_status: str, supervisor: User | None, by: User
) -> StaffProfile:
    if supervision_status == SupervisionStatus.TRAINEE and supervisor is None:
        raise ValidationError({"supervisor": "A trainee needs a supervisor."})
    if supervisor is not None and (supervisor == user or not supervisor.is_clinician):
        raise ValidationError({"supervisor": "The supervisor must be another clinician."})
    profile, _ = StaffProfile.objects.select_for_update().get_or_create(user=user)
    profile.npi = npi.strip()
    profile.supervision_status = supervision_status
    profile.full_clean(exclude=["user"])
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as error:
        raise ValidationError({"npi": "Another staff member has this NPI."}) from error
    new_supervisor = supervisor if supervision_status == SupervisionStatus.TRAINEE else None
    if user.supervisor_id != (new_supervisor.id if new_supervisor else None):
        user.supervisor = new_supervisor
        user.save(update_fields=["supervisor"])
    audit_record(action=AuditAction.UPDATE, actor=by, obj=user, detail="credentials changed")
    return profile


# --- licences and DEA registrations ---------------------------------------------------------------


def _credential_save(
    credential: ProfessionalLicence | DeaRegistration, *, by: User, fields: dict[str, Any]
) -> None:
    created = credential.pk is None
    for name, value in fields.items():
        setattr(credential, name, value)
    credential.jurisdiction = credential.jurisdiction.upper()
    if (
        credential.issued_on
        and credential.expires_on
        and credential.expires_on < credential.issued_on
    ):
        raise ValidationError({"expires_on": "The expiry date is before the issue date."})
    credential.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    duplicate = (
        type(credential)
        .objects.filter(jurisdiction=credential.jurisdiction, number=credential.number)
        .exclude(pk=credential.pk)
    )
    if duplicate.exists():
        raise ValidationError({"number": "This number is already on file in this jurisdiction."})
    credential.save()
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=credential,
        detail=f"{credential._meta.verbose_name} {'added' if created else 'changed'}",
    )


@transaction.atomic
def licence_save(
    *, user: User, by: User, licence: ProfessionalLicence | None = None, **fields: Any
) -> ProfessionalLicence:
    licence = licence or ProfessionalLicence(user=user)
    _credential_save(licence, by=by, fields=fields)
    return licence


@transaction.atomic
def dea_registration_save(
    *,
    user: User,
    by: User,
    registration: DeaRegistration | None = None,
    schedules: list[str],
    **fields: Any,
) -> DeaRegistration:
    if not schedules:
        raise ValidationError({"schedules": "Choose the schedules the registration covers."})
    registration = registration or DeaRegistration(user=user)
    fields["schedules"] = DeaRegistration.SCHEDULE_SEPARATOR.join(sorted(set(schedules)))
    _credential_save(registration, by=by, fields=fields)
    return registration


@transaction.atomic
def credential_delete(*, credential: ProfessionalLicence | DeaRegistration, by: User) -> None:
    audit_record(
        action=AuditAction.DELETE,
        actor=by,
        obj=credential,
        detail=f"{credential._meta.verbose_name} removed",
    )
    credential.delete()


# --- one's own email address ----------------------------------------------------------------------


def email_change_token(change: EmailChange) -> str:
    return signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).sign(str(change.uuid))


def email_change_recipient(change: EmailChange) -> Recipient:
    return Recipient(
        kind=EMAIL_CHANGE_KIND, id=str(change.uuid), email=change.new_email, quiet_hours=False
    )


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> EmailChange:
    """Sends a confirmation link to ``new_email``; the address changes only when it is opened."""
    new_email = new_email.strip().lower()
    if new_email == user.email.lower():
        raise ValidationError({"new_email": "This is your current email address."})
    if User.objects.filter(email__iexact=new_email).exists():
        raise ValidationError({"new_email": "Someone already has an account with this email."})
    now = timezone.now()
    EmailChange.objects.filter(
        user=user, confirmed_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    change = EmailChange.objects.create(
        user=user,
        new_email=new_email,
        created_at=now,
        expires_at=now + timedelta(hours=EMAIL_CHANGE_HOURS),
    )
    message_request(
        recipient=email_change_recipient(change),
        template_key=EMAIL_CHANGE_TEMPLATE,
        idempotency_key=f"{EMAIL_CHANGE_TEMPLATE}:{change.uuid}",
        refs={"email_change": str(change.uuid)},
        channel="email",
        essential=True,
    )
    audit_record(action=AuditAction.UPDATE, actor=user, obj=user, detail="email change requested")
    return change


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    try:
        change_uuid = signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).unsign(
            token, max_age=timedelta(hours=EMAIL_CHANGE_HOURS)
        )
    except signing.SignatureExpired as error:
        raise ValidationError("This confirmation link has expired; please ask again.") from error
    except signing.BadSignature as error:
        raise ValidationError("This confirmation link is not valid.") from error
    change = (
        EmailChange.objects.select_for_update()
        .select_related("user")
        .filter(uuid=change_uuid)
        .first()
    )
    if change is None or not change.is_usable():
        raise ValidationError("This confirmation link is no longer valid; please ask again.")
    if User.objects.filter(email__iexact=change.new_email).exclude(pk=change.user_id).exists():
        raise ValidationError("Someone already has an account with this email.")
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    user = change.user
    user.email = change.new_email
    user.save(update_fields=["email"])
    audit_record(action=AuditAction.UPDATE, actor=user, obj=user, detail="email changed")
    return user
