"""Forms of the set-up area: they validate input only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.password_validation import validate_password

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES, Role
from kap_clinic.clinic.models import (
    DeaRegistration,
    DeaSchedule,
    LicenceKind,
    Organisation,
    ProfessionalLicence,
    SupervisionStatus,
)
from kap_clinic.clinic.services import logo_validate
from kap_clinic.clinic.validators import ein_normalise
from kap_clinic.timezones import time_zone_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STAFF_ROLE_CHOICES = [
    (Role.FRONT_DESK.value, Role.FRONT_DESK.label),
    (Role.THERAPIST.value, Role.THERAPIST.label),
    (Role.PRESCRIBER.value, Role.PRESCRIBER.label),
    (Role.CLINIC_ADMIN.value, Role.CLINIC_ADMIN.label),
]


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", submit_label))
    return helper


class OrganisationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Default time zone", choices=time_zone_choices)

    class Meta:
        model = Organisation
        fields = [
            "legal_name",
            "address",
            "phone",
            "ein",
            "group_npi",
            "country",
            "time_zone",
            "crisis_line",
            "emergency_number",
            "expiry_warning_days",
            "logo",
        ]
        labels = {"logo": "Logo for printed documents (PNG or JPEG, up to 1 MB)"}

    def __init__(self, *args: Any, submit_label: str = "Save organisation", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label)

    def clean_ein(self) -> str:
        return ein_normalise(self.cleaned_data["ein"]) if self.cleaned_data["ein"] else ""

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. US.")
        return country

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):
            logo_validate(logo)
        return logo


class StaffInviteForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)

    def __init__(self, *args: Any, submit_label: str = "Send invitation", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label)


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Change role")


class StaffProfileForm(forms.Form):
    npi = forms.CharField(
        label="Individual NPI", max_length=10, required=False, help_text="10 digits"
    )
    supervision_status = forms.ChoiceField(
        label="Supervision status", choices=SupervisionStatus.choices
    )
    supervisor = forms.ModelChoiceField(
        label="Supervisor",
        queryset=User.objects.none(),
        required=False,
        help_text="Needed for a trainee.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(role__in=CLINICIAN_ROLES, is_active=True)
            .exclude(pk=user.pk)
            .order_by("full_name")
        )
        self.helper = _helper("Save credentials")

    def clean_npi(self) -> str:
        return str(self.cleaned_data["npi"]).replace(" ", "")


class CredentialFormMixin:
    """Issue/expiry order and duplicate numbers, reported on their fields before the model's
    constraints would report them without a field."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}  # type: ignore[misc]
        issued, expires = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", "The expiry date is before the issue date.")  # type: ignore[attr-defined]
        jurisdiction, number = cleaned.get("jurisdiction"), cleaned.get("number")
        model = self._meta.model  # type: ignore[attr-defined]
        if jurisdiction and number:
            duplicate = model.objects.filter(jurisdiction=jurisdiction, number=number).exclude(
                pk=self.instance.pk  # type: ignore[attr-defined]
            )
            if duplicate.exists():
                self.add_error("number", "This number is already on file in this jurisdiction.")  # type: ignore[attr-defined]
        return cleaned


class LicenceForm(CredentialFormMixin, forms.ModelForm):
    class Meta:
        model = ProfessionalLicence
        fields = ["kind", "jurisdiction", "number", "issued_on", "expires_on"]
        labels = {"kind": "Licence", "number": "Licence number"}
        widgets = {"issued_on": DATE, "expires_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save licence")
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a licence"),
            *LicenceKind.choices,
        ]

    def clean_jurisdiction(self) -> str:
        return str(self.cleaned_data["jurisdiction"]).strip().upper()


class DeaRegistrationForm(CredentialFormMixin, forms.ModelForm):
    schedules = forms.MultipleChoiceField(
        label="Schedules",
        choices=DeaSchedule.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ketamine and esketamine need schedule III.",
    )

    class Meta:
        model = DeaRegistration
        fields = ["jurisdiction", "number", "schedules", "issued_on", "expires_on"]
        labels = {"jurisdiction": "State", "number": "DEA number"}
        widgets = {"issued_on": DATE, "expires_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["schedules"] = self.instance.schedule_list
        self.helper = _helper("Save registration")

    def clean_jurisdiction(self) -> str:
        return str(self.cleaned_data["jurisdiction"]).strip().upper()


class InvitationAcceptForm(forms.Form):
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper("Set password")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password and password != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        elif password:
            try:
                validate_password(password, user=self.user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label="New email address")
    password = forms.CharField(
        label="Your current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper("Send confirmation link")

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password
