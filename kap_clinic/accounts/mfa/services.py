"""Two-factor sign-in (django-otp): enrolment, verification, recovery codes and reset.

A session is verified once a code from the user's authenticator app (TOTP) or a recovery code has
been accepted; the session then holds django-otp's device key. Staff must verify before any staff
page; patients who enrolled must too.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Whether the signed-in user has a second factor; set at sign-in so pages need no extra query.
ENROLLED_SESSION_KEY = "kap_second_factor_enrolled"


def second_factor_required(*, user: User, session: SessionBase) -> bool:
    """Staff (and superusers) always; patients once they have enrolled."""
    if user.is_clinic_staff or user.is_superuser:
        return True
    return bool(session.get(ENROLLED_SESSION_KEY, False))


def second_factor_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def second_factor_enrolled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _session_verify(*, request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.session[ENROLLED_SESSION_KEY] = True


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator device with a fresh secret; replaces any unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def _recovery_codes_issue(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_device_confirm(
    *, request: HttpRequest, user: User, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirms the new authenticator with a code from it; returns the new recovery codes (shown
    once), or None when the code is wrong. Replaces any earlier authenticator."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code.strip()):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_issue(user=user)
    _session_verify(request=request, device=device)
    audit_record(
        action=AuditAction.UPDATE, request=request, obj=user, detail="second factor enrolled"
    )
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, request: HttpRequest, user: User) -> list[str]:
    codes = _recovery_codes_issue(user=user)
    audit_record(
        action=AuditAction.UPDATE, request=request, obj=user, detail="recovery codes replaced"
    )
    return codes


def second_factor_verify(*, request: HttpRequest, user: User, code: str) -> bool:
    """Checks a code from the authenticator or a recovery code (used once); audits a failure."""
    device = match_token(user, code.strip().replace(" ", ""))
    if device is None:
        audit_record(
            action=AuditAction.SIGN_IN_FAILED,
            request=request,
            obj=user,
            detail="wrong second-factor code",
        )
        return False
    _session_verify(request=request, device=device)
    if isinstance(device, StaticDevice):
        audit_record(
            action=AuditAction.SIGN_IN, request=request, obj=user, detail="recovery code used"
        )
    return True


def _user_sessions_end(*, user: User) -> None:
    """Signs the user out everywhere (database sessions)."""
    user_id = str(user.pk)
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_id
    ]
    Session.objects.filter(pk__in=stale).delete()


@transaction.atomic
def second_factor_reset(*, request: HttpRequest, user: User, by: User) -> None:
    """A clinic admin clears a staff member's lost second factor: their devices and recovery codes
    go, their sessions end, and they enrol again at their next sign-in."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    _user_sessions_end(user=user)
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        actor=by,
        obj=user,
        detail="second factor reset by a clinic admin",
    )


@transaction.atomic
def second_factor_remove(*, request: HttpRequest, user: User) -> None:
    """A patient turns two-factor sign-in off (staff cannot: it is required for them)."""
    if user.is_clinic_staff or user.is_superuser:
        raise PermissionError("Staff cannot turn off two-factor sign-in.")
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[ENROLLED_SESSION_KEY] = False
    audit_record(
        action=AuditAction.UPDATE, request=request, obj=user, detail="second factor turned off"
    )
