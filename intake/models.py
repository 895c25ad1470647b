"""Patients: who they are, how to reach them, their care team and where they are in the journey."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from kap_clinic.timezones import clinic_time_zone


class PatientStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    INTAKE_IN_PROGRESS = "intake_in_progress", "Intake in progress"
    SUBMITTED = "submitted", "Submitted"
    SCREENED = "screened", "Screened"
    CLEARED = "cleared", "Cleared"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    IN_TREATMENT = "in_treatment", "In treatment"
    COMPLETED = "completed", "Completed"
    DISCHARGED = "discharged", "Discharged"


class Patient(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The patient's own sign-in, once they have accepted an invitation.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient_record",
    )
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField()
    mobile = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default=clinic_time_zone)
    status = models.CharField(
        max_length=30, choices=PatientStatus.choices, default=PatientStatus.INVITED
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients_as_prescriber",
        limit_choices_to={"role": "prescriber"},
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients_as_therapist",
        limit_choices_to={"role": "therapist"},
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        indexes = [models.Index(fields=["legal_last_name", "legal_first_name"])]
        permissions = [("view_clinical_record", "Can view clinical content of a patient's record")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday
