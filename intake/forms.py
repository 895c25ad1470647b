"""Forms of the intake: one per wizard step, plus the staff forms. Forms validate input only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.password_validation import validate_password

from intake import units
from intake.instruments import Instrument
from intake.models import (
    ClinicalAssessment,
    ClinicPolicy,
    ConsentDocument,
    MedicalAssessment,
    SexAtBirth,
)
from kap_clinic.notifications.models import Channel
from kap_clinic.timezones import clinic_time_zone, time_zone_choices

YES_NO = [("yes", "Yes"), ("no", "No")]
# A field asked only when an earlier field holds one of some values.
Conditional = dict[str, tuple[str, tuple[object, ...]]]


def _helper(submit_label: str = "") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if submit_label:
        helper.add_input(Submit("submit", submit_label))
    return helper


def yes_no(label: str, *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=YES_NO, widget=forms.RadioSelect, required=required
    )


class StepForm(forms.Form):
    """A wizard step. ``conditional`` maps a field to (trigger field, trigger values): the field is
    required only when the trigger holds one of those values, and dropped otherwise."""

    conditional: ClassVar[Conditional] = {}

    def __init__(
        self,
        *args: Any,
        extra_fields: dict[str, forms.Field] | None = None,
        conditional: Conditional | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(extra_fields or {})
        self.conditions: Conditional = dict(
            type(self).conditional if conditional is None else conditional
        )
        self.helper = _helper()
        for name, (trigger, values) in self.conditions.items():
            self.fields[name].required = False
            # static/js/intake-wizard.js hides the question until the trigger holds a value.
            self.fields[name].widget.attrs["data-shown-when"] = (
                f"{trigger}={'|'.join(str(value) for value in values)}"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, (trigger, values) in self.conditions.items():
            if cleaned.get(trigger) in values:
                if cleaned.get(name) in (None, ""):
                    self.add_error(name, "Please answer this question.")
            else:
                cleaned[name] = None if not isinstance(self.fields[name], forms.CharField) else ""
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The cleaned data as JSON-friendly values, to keep as the step's draft."""
        return {name: _jsonable(value) for name, value in self.cleaned_data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class AboutYouForm(StepForm):
    preferred_name = forms.CharField(label="Preferred name", max_length=100, required=False)
    sex_at_birth = forms.ChoiceField(label="Sex assigned at birth", choices=SexAtBirth.choices)
    gender = forms.CharField(label="Gender (optional)", max_length=100, required=False)
    mobile = forms.CharField(label="Mobile phone", max_length=20)
    address = forms.CharField(label="Home address", widget=forms.Textarea(attrs={"rows": 3}))
    emergency_contact_name = forms.CharField(label="Emergency contact name", max_length=200)
    emergency_contact_relationship = forms.CharField(
        label="Emergency contact relationship", max_length=100
    )
    emergency_contact_phone = forms.CharField(label="Emergency contact phone", max_length=30)
    reminder_channel = forms.ChoiceField(
        label="How should we send you reminders?", choices=Channel.choices
    )
    time_zone = forms.ChoiceField(
        label="Your time zone", choices=time_zone_choices, initial=clinic_time_zone
    )


PROVIDER_KINDS = [
    ("therapist", "a therapist"),
    ("psychiatrist", "a psychiatrist"),
    ("primary_care", "a primary care provider"),
]


class ProvidersForm(StepForm):
    conditional = {f"{kind}_name": (f"has_{kind}", ("yes",)) for kind, _ in PROVIDER_KINDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields: dict[str, forms.Field] = {}
        for kind, label in PROVIDER_KINDS:
            fields[f"has_{kind}"] = yes_no(f"Do you currently see {label}?")
            fields[f"{kind}_name"] = forms.CharField(
                label=f"Name of your {label.split(' ', 1)[1]}", max_length=200
            )
            fields[f"{kind}_contact"] = forms.CharField(
                label=f"Phone or email of your {label.split(' ', 1)[1]}",
                max_length=200,
                required=False,
            )
        fields["consent_to_coordinate"] = yes_no(
            "May we coordinate your care with the providers you named?"
        )
        super().__init__(*args, extra_fields=fields, **kwargs)
        self.fields["consent_to_coordinate"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if any(cleaned.get(f"has_{kind}") == "yes" for kind, _ in PROVIDER_KINDS):
            if not cleaned.get("consent_to_coordinate"):
                self.add_error("consent_to_coordinate", "Please answer this question.")
        else:
            cleaned["consent_to_coordinate"] = None
        return cleaned


# Conditions asked in the medical history, with the question each is asked as.
MEDICAL_CONDITIONS = [
    ("hypertension", "Have you been told you have high blood pressure (hypertension)?"),
    ("aneurysm", "Have you ever had an aneurysm (aorta, brain or other arteries)?"),
    ("arteriovenous_malformation", "Have you been told you have an arteriovenous malformation?"),
    ("intracerebral_haemorrhage", "Have you ever had bleeding in the brain?"),
    ("heart_disease", "Do you have heart disease (e.g. heart attack, heart failure)?"),
    ("arrhythmia", "Do you have an irregular heartbeat (arrhythmia)?"),
    ("respiratory_disease", "Do you have a lung or breathing condition (e.g. asthma, COPD)?"),
    ("liver_disease", "Do you have liver disease?"),
    ("kidney_disease", "Do you have kidney disease?"),
    ("bladder_problems", "Do you have bladder problems?"),
    ("ketamine_cystitis", "Have you ever had bladder inflammation caused by ketamine?"),
    ("overactive_thyroid", "Do you have an overactive thyroid (hyperthyroidism)?"),
    ("intracranial_pressure", "Have you been told you have raised pressure inside the skull?"),
    ("seizures", "Have you ever had seizures?"),
    ("allergies", "Do you have any allergies?"),
    ("ketamine_allergy", "Have you ever had an allergic reaction to ketamine or esketamine?"),
    ("pregnant", "Are you pregnant?"),
    ("breastfeeding", "Are you breastfeeding?"),
    ("planning_pregnancy", "Are you planning a pregnancy in the coming months?"),
]


class MedicalHistoryForm(StepForm):
    conditional = {
        "hypertension_controlled": ("hypertension", ("yes",)),
        "thyroid_controlled": ("overactive_thyroid", ("yes",)),
        "allergy_details": ("allergies", ("yes",)),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields: dict[str, forms.Field] = {}
        for name, question in MEDICAL_CONDITIONS:
            fields[name] = yes_no(question)
            if name == "hypertension":
                fields["hypertension_controlled"] = yes_no(
                    "Is your blood pressure controlled (by treatment or otherwise)?"
                )
            if name == "overactive_thyroid":
                fields["thyroid_controlled"] = yes_no("Is your thyroid controlled?")
            if name == "allergies":
                fields["allergy_details"] = forms.CharField(
                    label="Which allergies, and what happens?", max_length=1000
                )
        fields.update(_height_and_weight_fields())
        super().__init__(*args, extra_fields=fields, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _clean_height(self, cleaned)
        _clean_weight(self, cleaned)
        return cleaned


HEIGHT_UNITS = [("cm", "Centimetres"), ("ft_in", "Feet and inches")]
WEIGHT_UNITS = [("kg", "Kilograms"), ("lb", "Pounds")]


def _shown_when(field: forms.Field, condition: str) -> forms.Field:
    # static/js/intake-wizard.js shows the box of the chosen unit only.
    field.widget.attrs["data-shown-when"] = condition
    return field


def _height_and_weight_fields() -> dict[str, forms.Field]:
    """Height and weight in the unit the patient chooses; the answers keep them metric
    (``height_cm``, ``weight_kg``) whatever the unit (issue 10, item 14)."""
    return {
        "height_unit": forms.ChoiceField(
            label="Give your height in",
            choices=HEIGHT_UNITS,
            widget=forms.RadioSelect,
            required=False,
            initial="cm",
        ),
        "height_cm": _shown_when(
            forms.IntegerField(
                label="Height (cm)",
                min_value=units.HEIGHT_CM_MIN,
                max_value=units.HEIGHT_CM_MAX,
                required=False,
            ),
            "height_unit=cm",
        ),
        "height_feet": _shown_when(
            forms.IntegerField(label="Height (feet)", min_value=3, max_value=8, required=False),
            "height_unit=ft_in",
        ),
        "height_inches": _shown_when(
            forms.DecimalField(
                label="and inches",
                min_value=Decimal(0),
                max_value=Decimal("11.9"),
                decimal_places=1,
                required=False,
            ),
            "height_unit=ft_in",
        ),
        "weight_unit": forms.ChoiceField(
            label="Give your weight in",
            choices=WEIGHT_UNITS,
            widget=forms.RadioSelect,
            required=False,
            initial="kg",
        ),
        "weight_kg": _shown_when(
            forms.DecimalField(
                label="Weight (kg)",
                min_value=units.WEIGHT_KG_MIN,
                max_value=units.WEIGHT_KG_MAX,
                decimal_places=1,
                required=False,
            ),
            "weight_unit=kg",
        ),
        "weight_lb": _shown_when(
            forms.DecimalField(
                label="Weight (lb)",
                min_value=Decimal(55),
                max_value=Decimal(772),
                decimal_places=1,
                required=False,
            ),
            "weight_unit=lb",
        ),
    }


def _ignore(form: forms.Form, *names: str) -> None:
    """The boxes of the unit not chosen: hidden on the page, so neither kept nor validated."""
    for name in names:
        form.errors.pop(name, None)


def _clean_height(form: forms.Form, cleaned: dict[str, Any]) -> None:
    if cleaned.get("height_unit") == "ft_in":
        _ignore(form, "height_cm")
        feet, inches = cleaned.get("height_feet"), cleaned.get("height_inches") or Decimal(0)
        cleaned["height_cm"] = None
        if feet is None:
            if "height_feet" not in form.errors:
                form.add_error("height_feet", "Please give your height in feet and inches.")
            return
        height = units.height_cm_from_feet_inches(feet, inches)
        if not units.HEIGHT_CM_MIN <= height <= units.HEIGHT_CM_MAX:
            form.add_error("height_feet", "Please check your height: it looks out of range.")
            return
        cleaned["height_cm"] = height
        cleaned["height_inches"] = inches
        return
    _ignore(form, "height_feet", "height_inches")
    cleaned["height_unit"] = "cm"
    cleaned["height_feet"] = cleaned["height_inches"] = None
    if cleaned.get("height_cm") is None and "height_cm" not in form.errors:
        form.add_error("height_cm", "Please give your height.")


def _clean_weight(form: forms.Form, cleaned: dict[str, Any]) -> None:
    if cleaned.get("weight_unit") == "lb":
        _ignore(form, "weight_kg")
        pounds = cleaned.get("weight_lb")
        cleaned["weight_kg"] = None
        if pounds is None:
            if "weight_lb" not in form.errors:
                form.add_error("weight_lb", "Please give your weight in pounds.")
            return
        weight = units.weight_kg_from_pounds(pounds)
        if not units.WEIGHT_KG_MIN <= weight <= units.WEIGHT_KG_MAX:
            form.add_error("weight_lb", "Please check your weight: it looks out of range.")
            return
        cleaned["weight_kg"] = weight
        return
    _ignore(form, "weight_lb")
    cleaned["weight_unit"] = "kg"
    cleaned["weight_lb"] = None
    if cleaned.get("weight_kg") is None and "weight_kg" not in form.errors:
        form.add_error("weight_kg", "Please give your weight.")


class MedicationForm(forms.Form):
    name = forms.CharField(label="Medication name", max_length=100, required=False)
    dose = forms.CharField(label="Dose", max_length=50, required=False)
    frequency = forms.CharField(label="How often", max_length=50, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("name"):
            for field in ("dose", "frequency"):
                if not cleaned.get(field):
                    self.add_error(field, "Please give the dose and how often you take it.")
        elif cleaned.get("dose") or cleaned.get("frequency"):
            self.add_error("name", "Please name the medication.")
        return cleaned


class BaseMedicationFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.helper.template = "bootstrap5/table_inline_formset.html"

    def answers(self) -> dict[str, Any]:
        rows = [
            {key: form.cleaned_data[key] for key in ("name", "dose", "frequency")}
            for form in self.forms
            if form.cleaned_data.get("name")
        ]
        return {"medications": rows}


MEDICATION_ROWS_MAX = 20

SUBSTANCES = [
    ("alcohol", "Alcohol"),
    ("cannabis", "Cannabis"),
    ("stimulants", "Stimulants (e.g. cocaine, amphetamines)"),
    ("opioids", "Opioids (not as prescribed)"),
    ("ketamine", "Ketamine or other dissociatives"),
    ("psychedelics", "Psychedelics (e.g. psilocybin, LSD, MDMA)"),
]
USE_CHOICES = [("never", "Never"), ("past", "In the past"), ("current", "Currently")]


class SubstanceUseForm(StepForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields: dict[str, forms.Field] = {}
        conditional: Conditional = {}
        for key, label in SUBSTANCES:
            fields[f"{key}_use"] = forms.ChoiceField(
                label=f"{label}: have you used it?", choices=USE_CHOICES, widget=forms.RadioSelect
            )
            fields[f"{key}_months_since"] = forms.IntegerField(
                label=f"{label}: months since you last used it", min_value=0, max_value=1200
            )
            conditional[f"{key}_months_since"] = (f"{key}_use", ("past",))
        super().__init__(*args, extra_fields=fields, conditional=conditional, **kwargs)


class PsychiatricHistoryForm(StepForm):
    diagnoses = forms.CharField(
        label="Mental health diagnoses you have been given (if any)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    psychotic_disorder = yes_no(
        "Have you been diagnosed with schizophrenia or another psychotic disorder?"
    )
    psychosis_history = yes_no(
        "Have you ever seen or heard things others did not, or held beliefs others found "
        "impossible (psychosis)?"
    )
    mania_history = yes_no("Have you ever had an episode of mania or hypomania?")
    mania_current = yes_no("Are you in a manic, hypomanic or mixed episode now?")
    hospitalisations = yes_no("Have you ever been hospitalised for your mental health?")
    hospitalisation_details = forms.CharField(
        label="When, and why?", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    suicide_attempts = yes_no("Have you ever attempted suicide?")
    suicide_attempt_details = forms.CharField(
        label="When was the most recent attempt?", max_length=1000
    )
    self_harm = yes_no("Have you ever harmed yourself on purpose?")
    earlier_medications = forms.CharField(
        label="Medications you have tried for your mental health, and how they worked",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    earlier_therapies = forms.CharField(
        label="Therapies you have tried, and how they worked",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ect_tms = yes_no("Have you had ECT or TMS?")
    prior_ketamine = yes_no("Have you had ketamine treatment before?")
    prior_ketamine_response = forms.CharField(
        label="How did ketamine treatment work for you?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conditional = {
        "mania_current": ("mania_history", ("yes",)),
        "hospitalisation_details": ("hospitalisations", ("yes",)),
        "suicide_attempt_details": ("suicide_attempts", ("yes",)),
        "prior_ketamine_response": ("prior_ketamine", ("yes",)),
    }


class GoalsForm(StepForm):
    intentions = forms.CharField(
        label="What are your intentions and goals for ketamine-assisted psychotherapy?",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    altered_states = forms.CharField(
        label="Earlier experiences of altered states (meditation, breathwork, psychedelics)",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InstrumentForm(StepForm):
    """One radio group per item of an instrument; conditional items follow their "yes"."""

    instrument: Instrument

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        self.instrument = instrument
        fields: dict[str, forms.Field] = {}
        conditional: Conditional = {}
        for item in instrument.items:
            fields[item.key] = forms.TypedChoiceField(
                label=item.text,
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                widget=forms.RadioSelect,
            )
            if item.asked_when_yes:
                conditional[item.key] = (item.asked_when_yes, (1,))
        super().__init__(*args, extra_fields=fields, conditional=conditional, **kwargs)


class ConsentsForm(StepForm):
    def __init__(
        self, *args: Any, documents: list[ConsentDocument], legal_name: str, **kwargs: Any
    ):
        self.documents = documents
        self.legal_name = legal_name
        fields: dict[str, forms.Field] = {}
        for document in documents:
            fields[f"agree_{document.kind}"] = forms.BooleanField(
                label=f"I have read and agree to: {document.title} (version {document.version})"
            )
        fields["typed_name"] = forms.CharField(
            label="Type your full legal name to sign", max_length=200
        )
        super().__init__(*args, extra_fields=fields, **kwargs)

    def clean_typed_name(self) -> str:
        typed = " ".join(str(self.cleaned_data["typed_name"]).split())
        if typed.casefold() != " ".join(self.legal_name.split()).casefold():
            raise forms.ValidationError(f"Please type your full legal name: {self.legal_name}.")
        return typed

    def answers(self) -> dict[str, Any]:
        data = super().answers()
        data["versions"] = {document.kind: document.version for document in self.documents}
        return data


# --- staff and public forms ---------------------------------------------------------------------


class InvitationRequestForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label="Email")
    reason = forms.CharField(
        label="Why would you like to see us?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Request an invitation")


class InvitationAcceptForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Set password and start")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PatientInviteForm(forms.Form):
    legal_first_name = forms.CharField(label="Legal first name", max_length=100)
    legal_last_name = forms.CharField(label="Legal last name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label="Email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Send invitation")


class OverrideReasonMixin(forms.Form):
    exclude_override_reason = forms.CharField(
        label="Reason for clearing despite an exclusion finding",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MedicalAssessmentForm(forms.ModelForm):
    class Meta:
        model = MedicalAssessment
        fields = [
            "blood_pressure_systolic",
            "blood_pressure_diastolic",
            "heart_rate",
            "oxygen_saturation",
            "weight_kg",
            "history_review",
            "decision",
            "reason",
            "exclude_override_reason",
        ]
        labels = {
            "blood_pressure_systolic": "Blood pressure, systolic (mmHg)",
            "blood_pressure_diastolic": "Blood pressure, diastolic (mmHg)",
            "heart_rate": "Heart rate (beats per minute)",
            "oxygen_saturation": "Oxygen saturation, SpO2 (%)",
            "weight_kg": "Weight (kg)",
            "history_review": "History review",
            "decision": "Decision",
            "reason": "Reason",
            "exclude_override_reason": "Reason for clearing despite an exclusion finding",
        }
        widgets = {
            "history_review": forms.Textarea(attrs={"rows": 3}),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "exclude_override_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record medical assessment")


class ClinicalAssessmentForm(forms.ModelForm):
    class Meta:
        model = ClinicalAssessment
        fields = ["working_diagnoses", "decision", "reason", "exclude_override_reason"]
        labels = {
            "working_diagnoses": "Working diagnoses",
            "decision": "Decision",
            "reason": "Reason",
            "exclude_override_reason": "Reason for clearing despite an exclusion finding",
        }
        widgets = {
            "working_diagnoses": forms.Textarea(attrs={"rows": 2}),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "exclude_override_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record clinical assessment")


class ClinicPolicyForm(forms.ModelForm):
    class Meta:
        model = ClinicPolicy
        fields = [
            "pcl5_cut_point",
            "substance_abstinence_months",
            "invitation_lifetime_days",
            "psychosis_action",
            "mania_action",
            "uncontrolled_hypertension_action",
            "cardiac_disease_action",
            "pregnancy_action",
            "substance_use_action",
            "liver_disease_action",
            "intracranial_pressure_action",
            "hyperthyroidism_action",
            "ketamine_cystitis_action",
        ]
        # Clinic words, not field names ("Pcl5 cut point").
        labels = {
            "pcl5_cut_point": "PCL-5 score for probable PTSD",
            "substance_abstinence_months": "Months without substance use before it is a note only",
            "invitation_lifetime_days": "Days an invitation link stays valid",
            "psychosis_action": "Primary psychotic disorder",
            "mania_action": "Current manic or mixed episode",
            "uncontrolled_hypertension_action": "Uncontrolled high blood pressure",
            "cardiac_disease_action": "Significant heart disease",
            "pregnancy_action": "Pregnancy or breastfeeding",
            "substance_use_action": "Active substance use disorder",
            "liver_disease_action": "Severe liver disease",
            "intracranial_pressure_action": "Raised pressure inside the skull",
            "hyperthyroidism_action": "Uncontrolled overactive thyroid",
            "ketamine_cystitis_action": "Past bladder inflammation caused by ketamine",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save policy")
