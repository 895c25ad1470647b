"""Input validation for the monitoring pages (rules live in the services)."""

from __future__ import annotations

from typing import Any

from django import forms

from sessions.forms import DATE, DATETIME
from sessions.models import (
    DIASTOLIC_RANGE,
    HEART_RATE_RANGE,
    RESPIRATORY_RATE_RANGE,
    SPO2_RANGE,
    SYSTOLIC_RANGE,
    AdverseEventGrade,
    AdverseEventOutcome,
    Relatedness,
)
from sessions.monitoring.models import RoomEmergencyCheck


def _reading(label: str, bounds: tuple[int, int], *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=bounds[0],
        max_value=bounds[1],
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "form-control"}),
        error_messages={
            "min_value": f"{bounds[0]}-{bounds[1]}: check the reading.",
            "max_value": f"{bounds[0]}-{bounds[1]}: check the reading.",
            "required": "Needed.",
        },
    )


class QuickVitalsForm(forms.Form):
    """One row of readings, typed left to right; Enter saves. Blank time means now."""

    prefix = "quick"

    blood_pressure_systolic = _reading("Systolic", SYSTOLIC_RANGE)
    blood_pressure_diastolic = _reading("Diastolic", DIASTOLIC_RANGE)
    heart_rate = _reading("Heart rate", HEART_RATE_RANGE)
    spo2 = _reading("SpO2 %", SPO2_RANGE)
    respiratory_rate = _reading("Resp. rate", RESPIRATORY_RATE_RANGE, required=False)
    taken_at = forms.DateTimeField(
        required=False,
        label="Taken at (blank: now)",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )


class AlertAcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        max_length=500,
        label="Action taken",
        widget=forms.TextInput(attrs={"placeholder": "e.g. BP repeated, prescriber at bedside"}),
    )


class AdverseEventReportForm(forms.Form):
    prefix = "event"  # several forms share the dosing page

    occurred_at = forms.DateTimeField(widget=DATETIME, label="Occurred at")
    description = forms.CharField(max_length=300, label="What happened")
    grade = forms.TypedChoiceField(
        coerce=int,
        choices=[("", "Choose…"), *AdverseEventGrade.choices],
        label="Grade (CTCAE v5.0)",
    )
    relatedness = forms.ChoiceField(
        choices=[("", "Choose…"), *Relatedness.choices], label="Related to the medicine"
    )
    is_serious = forms.BooleanField(
        required=False,
        label="Serious adverse event (death, life-threatening, hospital admission, lasting "
        "disability, or an important medical event)",
    )
    outcome = forms.ChoiceField(choices=[("", "Choose…"), *AdverseEventOutcome.choices])
    action_taken = forms.CharField(max_length=300, label="Action taken")
    follow_up = forms.CharField(max_length=300, required=False, label="Follow-up task")
    follow_up_due_on = forms.DateField(widget=DATE, required=False, label="Follow-up due")


class RoomCheckForm(forms.Form):
    pulse_oximeter = forms.BooleanField(required=False)
    blood_pressure_cuff = forms.BooleanField(required=False)
    oxygen = forms.BooleanField(required=False)
    suction = forms.BooleanField(required=False)
    aed = forms.BooleanField(required=False)
    rescue_medicines_present = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Rescue medicines present and in date",
    )
    notes = forms.CharField(max_length=500, required=False, label="Notes")

    def __init__(self, *args: Any, rescue_medicines: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in RoomEmergencyCheck.EQUIPMENT:
            self.fields[name].label = label
        field = self.fields["rescue_medicines_present"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(name, name) for name in rescue_medicines]
