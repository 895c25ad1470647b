"""Esketamine REMS data: a patient's enrolment and each session's Patient Monitoring Form.

Imported by sessions/models.py so the tables live in the kap_sessions migrations. The rules
(CLINICAL.md, Spravato REMS): the patient is enrolled before the first dose, and a Patient
Monitoring Form is submitted for every session within 7 days.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# Each session's form is due within 7 days of the session (CLINICAL.md, Spravato REMS).
REMS_FORM_DUE_DAYS = 7
# The prescriber is reminded on day 5 and on day 7 after the session (issue #16); "due soon"
# begins with the first reminder.
REMS_REMINDER_DAYS = (5, 7)


class RemsEnrolment(models.Model):
    """The patient's enrolment in the Spravato REMS, as the REMS programme recorded it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.OneToOneField(
        "intake.Patient", on_delete=models.PROTECT, related_name="rems_enrolment"
    )
    rems_patient_id = models.CharField("REMS patient ID", max_length=40)
    enrolled_on = models.DateField("enrolled on")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One clinic per deployment: a REMS patient ID names one patient, whatever its case.
            models.UniqueConstraint(Lower("rems_patient_id"), name="rems_patient_id_unique"),
        ]

    def __str__(self) -> str:
        return f"REMS enrolment {self.rems_patient_id}"


class RemsFormState(models.TextChoices):
    PENDING = "pending", "Pending"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    SUBMITTED = "submitted", "Submitted"


class RemsForm(models.Model):
    """The Patient Monitoring Form of one discharged esketamine session.

    Opened at discharge; the prescriber signs it (its fields are kept as signed) and records its
    submission to the REMS (date, confirmation number, by whom).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dosing_record = models.OneToOneField(
        "kap_sessions.DosingRecord", on_delete=models.PROTECT, related_name="rems_form"
    )
    # The session's day in the location's time zone, and the last day to submit.
    session_date = models.DateField()
    due_on = models.DateField()
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rems_forms"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The fields as signed: [[label, value], ...].
    fields = models.JSONField(default=list, blank=True)
    signature = models.CharField(max_length=150, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmation_number = models.CharField(max_length=60, blank=True)
    # How it went: the transmission backend's name, or "recorded" for a submission made by hand.
    transmitted_by = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True) | models.Q(signed_at__isnull=False),
                name="rems_form_signed_before_submitted",
            ),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True) | ~models.Q(confirmation_number=""),
                name="rems_form_submission_has_confirmation",
            ),
        ]

    def __str__(self) -> str:
        return f"REMS monitoring form {self.uuid}"

    @staticmethod
    def due_date_for(session_date: date) -> date:
        return session_date + timedelta(days=REMS_FORM_DUE_DAYS)

    def day_after_session(self, today: date) -> int:
        return (today - self.session_date).days

    def state_on(self, today: date) -> RemsFormState:
        """Where the form stands on ``today`` (the location's local date)."""
        if self.submitted_at is not None:
            return RemsFormState.SUBMITTED
        if today > self.due_on:
            return RemsFormState.OVERDUE
        if self.day_after_session(today) >= REMS_REMINDER_DAYS[0]:
            return RemsFormState.DUE_SOON
        return RemsFormState.PENDING
