"""Forms of the locations set-up: input only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from kap_clinic.timezones import time_zone_choices
from sessions.models import (
    ESKETAMINE_MINIMUM_MONITORING_MINUTES,
    CertificationKind,
    DosingPolicy,
    Location,
    OpeningHours,
    Protocol,
    Room,
    Route,
    SiteCertification,
    Weekday,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", submit_label))
    return helper


class LocationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)
    room_names = forms.CharField(
        label="Rooms",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One treatment room per line; you can add more, and telehealth rooms, later.",
    )

    class Meta:
        model = Location
        fields = ["name", "address", "phone", "place_of_service", "time_zone", "is_active"]
        labels = {"is_active": "Open for booking", "name": "Location name"}

    def __init__(self, *args: Any, submit_label: str = "Save location", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["room_names"]
        self.helper = _helper(submit_label)

    def clean_room_names(self) -> list[str]:
        names = [line.strip() for line in str(self.cleaned_data["room_names"]).splitlines()]
        names = [name for name in names if name]
        if len({name.lower() for name in names}) != len(names):
            raise forms.ValidationError("Each room needs its own name.")
        return names

    def validate_unique(self) -> None:
        """The service reports a duplicate name on the field."""


class RoomForm(forms.ModelForm):
    location = forms.ModelChoiceField(
        label="Location",
        queryset=Location.objects.all(),
        required=False,
        empty_label="Choose a location",
    )

    class Meta:
        model = Room
        fields = ["location", "name", "kind", "is_active"]
        labels = {"name": "Room name", "kind": "Kind of room", "is_active": "In use"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save room")

    def clean_location(self) -> Location:
        location = self.cleaned_data.get("location")
        if location is None:
            raise forms.ValidationError("Choose the location this room is in.")
        return location

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        location, name = cleaned.get("location"), cleaned.get("name")
        if location and name:
            duplicate = Room.objects.filter(location=location, name__iexact=name).exclude(
                pk=self.instance.pk
            )
            if duplicate.exists():
                self.add_error("name", "This location has a room with this name already.")
        return cleaned


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens_at", "closes_at"]
        labels = {"opens_at": "Opens at", "closes_at": "Closes at", "weekday": "Day"}
        widgets = {"opens_at": TIME, "closes_at": TIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = [("", "Choose a day"), *Weekday.choices]  # type: ignore[attr-defined]
        self.helper = _helper("Add opening hours")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "Closing time must be after opening time.")
        return cleaned


class SiteCertificationForm(forms.ModelForm):
    class Meta:
        model = SiteCertification
        fields = ["kind", "number", "issuer", "issued_on", "expires_on"]
        labels = {"kind": "Certification"}
        widgets = {"issued_on": DATE, "expires_on": DATE}
        help_texts = {"issuer": "e.g. Spravato REMS, state board of pharmacy"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a certification"),
            *CertificationKind.choices,
        ]
        self.helper = _helper("Save certification")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        issued, expires = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", "The expiry date is before the issue date.")
        kind, issuer, number = cleaned.get("kind"), cleaned.get("issuer"), cleaned.get("number")
        if kind and issuer and number:
            duplicate = SiteCertification.objects.filter(
                kind=kind, issuer__iexact=issuer, number=number
            ).exclude(pk=self.instance.pk)
            if duplicate.exists():
                self.add_error("number", "This certification number is already on file.")
        return cleaned


class ProtocolForm(forms.ModelForm):
    class Meta:
        model = Protocol
        fields = [
            "name",
            "drug",
            "route",
            "dose_rule",
            "dose_minimum",
            "dose_maximum",
            "dose_default",
            "dosing_sessions",
            "minimum_spacing_hours",
            "planned_interval_days",
            "preparation_minutes",
            "dosing_minutes",
            "integration_minutes",
            "administration_minutes",
            "vitals_every_minutes_during",
            "vitals_every_minutes_after",
            "blood_pressure_check_minutes",
            "minimum_monitoring_minutes",
            "device_mg",
            "minutes_between_devices",
            "first_session_dose_maximum",
            "first_session_dose_maximum_65_and_over",
            "rems_form_required",
            "is_active",
            "source",
            "articles",
        ]
        widgets = {
            "articles": forms.CheckboxSelectMultiple,
            "source": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "articles": "Preparation reading",
            "rems_form_required": "REMS patient monitoring form required",
            "is_active": "In use for new courses",
            "dose_rule": "Dose rule",
            "dose_minimum": "Lowest dose",
            "dose_maximum": "Highest dose",
            "dose_default": "Usual dose",
            "dosing_sessions": "Number of dosing sessions",
            "minimum_spacing_hours": "Minimum hours between doses",
            "planned_interval_days": "Days between planned doses",
            "preparation_minutes": "Preparation session (minutes)",
            "dosing_minutes": "Dosing appointment (minutes)",
            "integration_minutes": "Integration session (minutes)",
            "administration_minutes": "Time to give the medicine (minutes)",
            "vitals_every_minutes_during": "Vitals every … minutes while dosing",
            "vitals_every_minutes_after": "Vitals every … minutes after dosing",
            "blood_pressure_check_minutes": "Peak blood pressure check (minutes after dosing)",
            "minimum_monitoring_minutes": "Minimum monitoring (minutes)",
            "device_mg": "Milligrams per device",
            "minutes_between_devices": "Minutes between devices",
            "first_session_dose_maximum": "Highest first-session dose",
            "first_session_dose_maximum_65_and_over": "Highest first-session dose at 65 or over",
            "source": "Sources",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "articles"
        ].help_text = "Articles of the preparation library sent with bookings and dosing reminders."
        self.helper = _helper("Save protocol")

    def clean(self) -> dict[str, Any]:
        """The protocol's own constraints, reported on their fields (not as a bare constraint)."""
        cleaned: dict[str, Any] = super().clean() or {}
        minimum, maximum = cleaned.get("dose_minimum"), cleaned.get("dose_maximum")
        default = cleaned.get("dose_default")
        if minimum is not None and maximum is not None and maximum < minimum:
            self.add_error("dose_maximum", "The highest dose is below the lowest dose.")
        elif (
            default is not None
            and minimum is not None
            and maximum is not None
            and not minimum <= default <= maximum
        ):
            self.add_error(
                "dose_default", "The usual dose must lie between the lowest and highest."
            )
        monitoring = cleaned.get("minimum_monitoring_minutes")
        if (
            cleaned.get("route") == Route.INTRANASAL_ESKETAMINE
            and monitoring is not None
            and monitoring < ESKETAMINE_MINIMUM_MONITORING_MINUTES
        ):
            self.add_error(
                "minimum_monitoring_minutes",
                "Esketamine needs at least 120 minutes of monitoring (Spravato REMS).",
            )
        return cleaned


class DosingPolicyForm(forms.ModelForm):
    class Meta:
        model = DosingPolicy
        fields = [
            "predose_systolic_maximum",
            "predose_diastolic_maximum",
            "fasting_solids_hours",
            "clear_liquids_hours",
            "no_driving_text",
            "discharge_systolic_margin",
            "integration_prompt_time",
            "next_morning_checkin_time",
        ]
        widgets = {"integration_prompt_time": TIME, "next_morning_checkin_time": TIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save dosing policy")
