"""Input validation for the REMS pages (rules live in the services)."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from sessions.forms import DATE


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class RemsEnrolmentForm(_Form):
    rems_patient_id = forms.CharField(label="REMS patient ID", max_length=40)
    enrolled_on = forms.DateField(label="Enrolled on", widget=DATE)


class RemsSignForm(_Form):
    signature = forms.CharField(
        label="Signature (type your full name)",
        max_length=150,
        error_messages={"required": "Type your full name as your signature."},
    )


class RemsSubmissionForm(_Form):
    submitted_on = forms.DateField(label="Submitted on", widget=DATE)
    confirmation_number = forms.CharField(label="REMS confirmation number", max_length=60)
