"""Reads of the clinic's set-up: the organisation, staff and whether a credential is valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import STAFF_ROLES
from kap_clinic.clinic.models import (
    DEFAULT_EXPIRY_WARNING_DAYS,
    DeaRegistration,
    LicenceKind,
    Organisation,
    ProfessionalLicence,
    StaffProfile,
    SupervisionStatus,
)


class CredentialKind:
    """What `credential_valid` can be asked about, besides a licence kind (MD, NP, LCSW...)."""

    LICENCE = "licence"  # any professional licence
    DEA_KETAMINE = "dea_ketamine"  # a DEA registration covering schedule III (non-)narcotic
    NPI = "npi"  # an individual NPI on file (no jurisdiction)


def organisation_get() -> Organisation | None:
    return Organisation.objects.filter(id=1).first()


def expiry_warning_days() -> int:
    organisation = organisation_get()
    return organisation.expiry_warning_days if organisation else DEFAULT_EXPIRY_WARNING_DAYS


def credential_valid(*, user: User, kind: str, jurisdiction: str, on: date) -> bool:
    """Whether ``user`` holds, on day ``on``, a credential of ``kind`` valid in ``jurisdiction``.

    ``kind`` is a licence kind (``"MD"``), ``"licence"`` (any licence), ``"dea_ketamine"`` (a DEA
    registration with schedule III for ketamine and esketamine) or ``"npi"`` (jurisdiction is
    ignored). A credential is valid from its issue date through its expiry date; a deactivated
    user holds none.
    """
    if not user.is_active:
        return False
    if kind == CredentialKind.NPI:
        return StaffProfile.objects.filter(user=user).exclude(npi="").exists()
    jurisdiction = jurisdiction.upper()
    in_force = Q(jurisdiction=jurisdiction, issued_on__lte=on, expires_on__gte=on)
    if kind == CredentialKind.DEA_KETAMINE:
        registrations = DeaRegistration.objects.filter(in_force, user=user)
        return any(registration.covers_ketamine for registration in registrations)
    licences = ProfessionalLicence.objects.filter(in_force, user=user)
    if kind == CredentialKind.LICENCE:
        return licences.exists()
    if kind in LicenceKind.values:
        return licences.filter(kind=kind).exists()
    raise ValueError(f"Unknown credential kind {kind!r}")


def staff_list() -> QuerySet[User]:
    """Every staff account (active or not), with credentials prefetched for one-query pages."""
    return (
        User.objects.filter(role__in=STAFF_ROLES)
        .select_related("staff_profile", "supervisor")
        .prefetch_related(
            Prefetch("licences", queryset=ProfessionalLicence.objects.order_by("expires_on")),
            Prefetch("dea_registrations", queryset=DeaRegistration.objects.order_by("expires_on")),
        )
        .order_by("-is_active", "full_name")
    )


@dataclass(frozen=True)
class ExpiringCredential:
    holder: str
    what: str
    expires_on: date


def credentials_expiring(*, today: date, within_days: int) -> list[ExpiringCredential]:
    """Licences and DEA registrations of active staff that expire from ``today`` through
    ``today + within_days`` (or expired in that span's past week, so a lapse is seen)."""
    until = today + timedelta(days=within_days)
    since = today - timedelta(days=7)
    rows: list[ExpiringCredential] = []
    for licence in ProfessionalLicence.objects.filter(
        expires_on__gte=since, expires_on__lte=until, user__is_active=True
    ).select_related("user"):
        rows.append(
            ExpiringCredential(
                holder=licence.user.full_name,
                what=f"{licence.kind} licence {licence.jurisdiction} {licence.number}",
                expires_on=licence.expires_on,
            )
        )
    for registration in DeaRegistration.objects.filter(
        expires_on__gte=since, expires_on__lte=until, user__is_active=True
    ).select_related("user"):
        rows.append(
            ExpiringCredential(
                holder=registration.user.full_name,
                what=f"DEA registration {registration.jurisdiction} {registration.number}",
                expires_on=registration.expires_on,
            )
        )
    return sorted(rows, key=lambda row: (row.expires_on, row.holder))


def expired_clinician_ids(*, on: date) -> set[int]:
    """Staff with a licence or DEA registration that has expired and no valid one of that kind
    in the same jurisdiction: what shows in red wherever a clinician is picked."""
    expired: set[int] = set()
    for model in (ProfessionalLicence, DeaRegistration):
        lapsed = set(model.objects.filter(expires_on__lt=on).values_list("user_id", "jurisdiction"))
        current = set(
            model.objects.filter(issued_on__lte=on, expires_on__gte=on).values_list(
                "user_id", "jurisdiction"
            )
        )
        expired |= {user_id for user_id, jurisdiction in lapsed - current}
    return expired


def trainee_ids(*, user_ids: list[int]) -> set[int]:
    """Which of these staff are trainees (supervised), from their credentials on set-up."""
    return set(
        StaffProfile.objects.filter(
            user_id__in=user_ids, supervision_status=SupervisionStatus.TRAINEE
        ).values_list("user_id", flat=True)
    )
