from __future__ import annotations

from typing import Any, cast

from django import forms

from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.records import patient_record_types


class AuditFilterForm(forms.Form):
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    user = forms.CharField(label="Who (name or email)", required=False, max_length=254)
    action = forms.ChoiceField(label="Action", required=False)
    object_type = forms.ChoiceField(label="Record", required=False)
    object_id = forms.CharField(label="Record id", required=False, max_length=64)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", "Any action"), *AuditAction.choices]
        record_types = sorted(patient_record_types().values(), key=lambda item: item.name)
        object_type = cast(forms.ChoiceField, self.fields["object_type"])
        object_type.choices = [
            ("", "Any record"),
            *[(item.label, item.name) for item in record_types],
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (call after is_valid())."""
        data = self.cleaned_data
        return {
            "patient_uuid": str(data["patient"]) if data.get("patient") else "",
            "user": data.get("user", "").strip(),
            "action": data.get("action", ""),
            "object_type": data.get("object_type", ""),
            "object_id": data.get("object_id", "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
