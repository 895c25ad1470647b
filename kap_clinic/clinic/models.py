"""The clinic as a business: the organisation and the credentials of its staff.

Who may prescribe, treat or bill where is decided by these records (`selectors.credential_valid`);
site certifications of locations live with the locations in sessions.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from kap_clinic.clinic.validators import validate_ein, validate_jurisdiction, validate_npi
from kap_clinic.timezones import clinic_time_zone

# CLINICAL.md, Billing facts / 988 Suicide & Crisis Lifeline (US): the default crisis line.
DEFAULT_CRISIS_LINE = "988"
# Issue 9: credentials expiring within 60 days are listed in the admins' digest (policy).
DEFAULT_EXPIRY_WARNING_DAYS = 60


def _logo_path(instance: Organisation, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"clinic/logo-{uuid.uuid4().hex}.{extension}"


class Organisation(models.Model):
    """The clinic itself; one row. Its absence means the first-run wizard has not been done."""

    legal_name = models.CharField("legal name", max_length=200)
    address = models.CharField(max_length=300)
    phone = models.CharField(max_length=40)
    ein = models.CharField("tax id (EIN)", max_length=10, blank=True, validators=[validate_ein])
    group_npi = models.CharField("group NPI", max_length=10, blank=True, validators=[validate_npi])
    country = models.CharField(max_length=2, default="US", help_text="two-letter country code")
    time_zone = models.CharField("default time zone", max_length=64, default=clinic_time_zone)
    logo = models.FileField(upload_to=_logo_path, blank=True)
    crisis_line = models.CharField(
        "crisis line shown to patients",
        max_length=60,
        default=DEFAULT_CRISIS_LINE,
        help_text="Shown to patients who may feel unsafe (988 in the US).",
    )
    # Shown with the crisis line wherever a patient writes (issue 10, item 13); blank: the
    # EMERGENCY_NUMBER setting (911 in the US by default).
    emergency_number = models.CharField(
        "emergency number shown to patients",
        max_length=20,
        blank=True,
        help_text="The local emergency number (911 in the US). Leave empty for the default.",
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        "warn of expiring credentials (days ahead)",
        default=DEFAULT_EXPIRY_WARNING_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Licences, DEA registrations and site certifications expiring within this "
        "many days are listed in the clinic admins' daily digest (policy, default 60).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="organisation_singleton")]

    def __str__(self) -> str:
        return self.legal_name


class SupervisionStatus(models.TextChoices):
    LICENSED = "licensed", "Licensed (independent)"
    TRAINEE = "trainee", "Trainee (supervised)"


class StaffProfile(models.Model):
    """A staff member's own credentials: individual NPI and supervision status.

    The supervisor is ``User.supervisor`` (integration's co-signature reads it there).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    npi = models.CharField("individual NPI", max_length=10, blank=True, validators=[validate_npi])
    supervision_status = models.CharField(
        max_length=20, choices=SupervisionStatus.choices, default=SupervisionStatus.LICENSED
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["npi"], condition=~Q(npi=""), name="staff_profile_npi_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Credentials of {self.user}"


class LicenceKind(models.TextChoices):
    MD = "MD", "MD (physician)"
    DO = "DO", "DO (osteopathic physician)"
    NP = "NP", "NP (nurse practitioner)"
    PA = "PA", "PA (physician assistant)"
    RN = "RN", "RN (registered nurse)"
    PSYD = "PsyD", "PsyD (psychologist)"
    PHD = "PhD", "PhD (psychologist)"
    LCSW = "LCSW", "LCSW (clinical social worker)"
    LMFT = "LMFT", "LMFT (marriage and family therapist)"
    LPC = "LPC", "LPC (professional counselor)"


class CredentialDates(models.Model):
    """Issue and expiry dates; a credential is valid from its issue date through its expiry date."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    jurisdiction = models.CharField(
        max_length=6,
        validators=[validate_jurisdiction],
        help_text="US state (CA) or region code (ON, GB-ENG)",
    )
    number = models.CharField(max_length=40)
    issued_on = models.DateField("issued on")
    expires_on = models.DateField("expires on")

    class Meta:
        abstract = True

    def is_valid_on(self, day: date) -> bool:
        return self.issued_on <= day <= self.expires_on


class ProfessionalLicence(CredentialDates):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licences"
    )
    kind = models.CharField(max_length=10, choices=LicenceKind.choices)

    class Meta:
        ordering = ["jurisdiction", "kind"]
        verbose_name = "professional licence"
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "number"], name="licence_number_unique_per_jurisdiction"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("issued_on")), name="licence_expires_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.jurisdiction} {self.number}"


class DeaSchedule(models.TextChoices):
    II = "2", "Schedule II"
    IIN = "2N", "Schedule II non-narcotic"
    III = "3", "Schedule III"
    IIIN = "3N", "Schedule III non-narcotic"
    IV = "4", "Schedule IV"
    V = "5", "Schedule V"


# Ketamine and esketamine are schedule III non-narcotic controlled substances (21 CFR 1308.13(c)):
# a DEA registration covering schedule III non-narcotic (3N, or 3 which DEA registers together)
# is what prescribing them needs.
KETAMINE_SCHEDULES = frozenset({DeaSchedule.III, DeaSchedule.IIIN})


class DeaRegistration(CredentialDates):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dea_registrations"
    )
    # Comma-separated schedule codes ("2,2N,3,3N,4,5"), as printed on the registration.
    schedules = models.CharField(max_length=40)

    SCHEDULE_SEPARATOR: ClassVar[str] = ","

    class Meta:
        ordering = ["jurisdiction"]
        verbose_name = "DEA registration"
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "number"], name="dea_number_unique_per_jurisdiction"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("issued_on")), name="dea_expires_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"DEA {self.jurisdiction} {self.number}"

    @property
    def schedule_list(self) -> list[str]:
        return [code for code in self.schedules.split(self.SCHEDULE_SEPARATOR) if code]

    @property
    def schedules_display(self) -> str:
        """As DEA prints them: II, IIN, III, IIIN, IV, V."""
        short = {"2": "II", "2N": "IIN", "3": "III", "3N": "IIIN", "4": "IV", "5": "V"}
        return ", ".join(short.get(code, code) for code in self.schedule_list)

    @property
    def covers_ketamine(self) -> bool:
        return bool(KETAMINE_SCHEDULES & set(self.schedule_list))


class StaffInvitation(models.Model):
    """A signed, single-use, expiring link that lets invited staff set their password."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_invitations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Staff invitation {self.uuid}"

    def is_usable(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and moment < self.expires_at


class EmailChange(models.Model):
    """A user's request to move their sign-in to a new address, confirmed from that address."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_changes"
    )
    new_email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Email change {self.uuid}"

    def is_usable(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.confirmed_at is None and self.revoked_at is None and moment < self.expires_at
