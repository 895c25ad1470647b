"""A patient's own contact details, changed from the portal (issue 10, item 12).

The patient edits contact, address, emergency contact, reminder channel and time zone; the change
is written with a ``PatientDetailsChange`` row (what changed, old and new) and an audit row in one
transaction, and staff see it on the chart (timeline and the Details section).
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from intake.models import Patient, PatientDetailsChange
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.models import Channel
from kap_clinic.timezones import time_zone_choices

# The fields a patient may change themself, with their label in clinic words.
DETAILS_LABELS: dict[str, str] = {
    "mobile": "Mobile phone",
    "email": "Email",
    "address": "Home address",
    "emergency_contact_name": "Emergency contact name",
    "emergency_contact_relationship": "Emergency contact relationship",
    "emergency_contact_phone": "Emergency contact phone",
    "reminder_channel": "Reminders by",
    "time_zone": "Time zone",
}


def details_change_labels(change: PatientDetailsChange) -> list[str]:
    """The changed fields in clinic words, in the form's order."""
    return [label for name, label in DETAILS_LABELS.items() if name in change.changes]


class PatientDetailsForm(forms.Form):
    mobile = forms.CharField(label="Mobile phone", max_length=20)
    email = forms.EmailField(label="Email", max_length=254)
    address = forms.CharField(label="Home address", widget=forms.Textarea(attrs={"rows": 3}))
    emergency_contact_name = forms.CharField(label="Emergency contact name", max_length=200)
    emergency_contact_relationship = forms.CharField(
        label="Emergency contact relationship", max_length=100
    )
    emergency_contact_phone = forms.CharField(label="Emergency contact phone", max_length=30)
    reminder_channel = forms.ChoiceField(
        label="How should we send you reminders?", choices=Channel.choices
    )
    time_zone = forms.ChoiceField(label="Your time zone", choices=time_zone_choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "Where the clinic writes to you; your sign-in stays as is."
        self.fields["mobile"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["emergency_contact_phone"].widget.attrs["inputmode"] = "tel"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", "Save my details"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("reminder_channel") == Channel.SMS and not cleaned.get("mobile"):
            self.add_error("mobile", "Text message reminders need a mobile phone number.")
        return cleaned


@transaction.atomic
def patient_details_update(
    *, patient: Patient, by: User, request: Any = None, **details: str
) -> PatientDetailsChange | None:
    """Saves the patient's own changes; None when nothing changed (no row, no audit)."""
    if by.pk != patient.user_id:
        raise PermissionDenied("Only the patient changes their own details here.")
    unknown = set(details) - set(DETAILS_LABELS)
    if unknown:
        raise ValueError(f"Not a patient's own detail: {sorted(unknown)}")
    changes: dict[str, list[str]] = {}
    for name, value in details.items():
        old = str(getattr(patient, name) or "")
        new = str(value or "").strip()
        if old != new:
            changes[name] = [old, new]
            setattr(patient, name, new)
    if not changes:
        return None
    patient.save(update_fields=list(changes))
    change = PatientDetailsChange.objects.create(patient=patient, changed_by=by, changes=changes)
    audit_record(
        action=AuditAction.UPDATE,
        request=request,
        actor=by,
        obj=patient,
        # Field names only: the values stay in the record, never in the audit detail.
        detail="details changed by the patient: " + ", ".join(sorted(changes)),
    )
    return change


@role_required(Role.PATIENT)
def my_details(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own details: shown, and changed with a record the care team sees."""
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404
    if request.method == "POST":
        form = PatientDetailsForm(request.POST)
        if form.is_valid():
            change = patient_details_update(
                patient=patient, by=request.user, request=request, **form.cleaned_data
            )
            messages.success(
                request,
                "Your details are saved; your care team can see the change."
                if change
                else "Nothing changed.",
            )
            return redirect("intake:my_details")
        status = 400
    else:
        form = PatientDetailsForm(initial={name: getattr(patient, name) for name in DETAILS_LABELS})
        status = 200
    return render(
        request, "intake/my_details.html", {"patient": patient, "form": form}, status=status
    )
