"""Input of the supervision pages (the rules are the services')."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from integration.supervision.models import MeetingFormat, SupervisionKind, SupervisionMode
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES


class _ClinicianChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


def _clinicians() -> QuerySet[User]:
    return User.objects.filter(role__in=list(CLINICIAN_ROLES), is_active=True).order_by("full_name")


class RelationshipForm(forms.Form):
    supervisee = _ClinicianChoice(queryset=User.objects.none(), label="Supervisee")
    supervisor = _ClinicianChoice(queryset=User.objects.none(), label="Supervisor")
    kind = forms.ChoiceField(choices=SupervisionKind.choices, label="Kind of supervision")
    mode = forms.ChoiceField(choices=SupervisionMode.choices, label="How notes are reviewed")
    sample_percent = forms.IntegerField(
        label="Share of notes reviewed (%)",
        required=False,
        help_text="For sample review only.",
    )
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="Ends on (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinicians = _clinicians()
        self.fields["supervisee"].queryset = clinicians  # type: ignore[attr-defined]
        self.fields["supervisor"].queryset = clinicians  # type: ignore[attr-defined]


class RelationshipEndForm(forms.Form):
    ends_on = forms.DateField(
        label="Last day of supervision", widget=forms.DateInput(attrs={"type": "date"})
    )


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=MeetingFormat.choices, label="Individual or group")
    minutes = forms.IntegerField(label="Length (minutes)", min_value=1)
    supervisees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        label="Supervisees present",
        widget=forms.CheckboxSelectMultiple,
    )
    case_mrns = forms.CharField(
        label="Cases discussed (MRNs only, one a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label="Notes (no patient names)", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, supervisees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supervisees"]
        field.queryset = supervisees  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: user.full_name  # type: ignore[attr-defined]

    def mrns(self) -> list[str]:
        text = self.cleaned_data["case_mrns"].replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]


class ReportForm(forms.Form):
    first_day = forms.DateField(
        label="First day of the period", widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label="Last day of the period", widget=forms.DateInput(attrs={"type": "date"})
    )
