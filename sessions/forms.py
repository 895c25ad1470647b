"""Input validation for the sessions pages (rules live in the services)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms

from intake.instruments import CADSS6, CSSRS_SCREENER, MOAAS, PHQ9, Instrument
from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.fields import ClinicianChoiceField
from sessions.controlled.models import StockLot
from sessions.models import (
    AppointmentKind,
    Course,
    Location,
    PregnancyAttestation,
    PregnancyTestMethod,
    PregnancyTestResult,
    Protocol,
    Room,
    Severity,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _staff(role: Role) -> Any:
    return User.objects.filter(role=role, is_active=True).order_by("full_name")


class CourseForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(is_active=True))
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    prescriber = ClinicianChoiceField(queryset=_staff(Role.PRESCRIBER))
    therapist = ClinicianChoiceField(queryset=_staff(Role.THERAPIST))
    planned_dose = forms.DecimalField(
        max_digits=7, decimal_places=3, help_text="in the protocol's unit (mg or mg/kg)"
    )
    start_date = forms.DateField(widget=DATE)

    def __init__(self, *args: Any, patient: Patient, sets_dose: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].initial = patient.prescriber_id
        self.fields["therapist"].initial = patient.therapist_id
        if not sets_dose:
            # The dose is the prescriber's decision: others propose the schedule only.
            del self.fields["planned_dose"]


class PlanSignForm(forms.Form):
    """The prescriber's treatment plan: protocol and planned dose, signed."""

    protocol = forms.ModelChoiceField(queryset=Protocol.objects.filter(is_active=True))
    planned_dose = forms.DecimalField(
        max_digits=7, decimal_places=3, help_text="in the protocol's unit (mg or mg/kg)"
    )


class ProposalForm(forms.Form):
    """One proposed appointment of a course plan, which staff may adjust before confirming."""

    include = forms.BooleanField(required=False, initial=True, label="Book")
    kind = forms.ChoiceField(choices=AppointmentKind.choices, widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=DATETIME, label="Starts")
    ends_at = forms.DateTimeField(widget=DATETIME, label="Ends")
    room = forms.ModelChoiceField(queryset=Room.objects.filter(is_active=True))


ProposalFormSet = forms.formset_factory(ProposalForm, extra=0)


def _override_reason_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=200,
        label="Reason to book outside the schedule rules",
        help_text="Clinic admins only: in the past, outside opening or working hours, or over "
        "time off. Recorded in the audit log.",
    )


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(choices=AppointmentKind.choices)
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(is_active=True).select_related("location")
    )
    starts_at = forms.DateTimeField(widget=DATETIME, label="Starts")
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, initial=60)
    medical_monitor = ClinicianChoiceField(
        queryset=_staff(Role.PRESCRIBER), required=False, label="Prescriber (medical monitor)"
    )
    therapist = ClinicianChoiceField(queryset=_staff(Role.THERAPIST), required=False)
    course = forms.ModelChoiceField(queryset=Course.objects.none(), required=False)
    telehealth_url = forms.URLField(required=False, label="Telehealth link", assume_scheme="https")
    override_reason = _override_reason_field()

    def __init__(
        self, *args: Any, patient: Patient, may_override: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_reason"]
        self.fields["course"].queryset = patient.courses.select_related("protocol")  # type: ignore[attr-defined]
        self.fields["medical_monitor"].initial = patient.prescriber_id
        self.fields["therapist"].initial = patient.therapist_id


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DATETIME, label="New start")
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, label="Duration (minutes)")
    room = forms.ModelChoiceField(queryset=Room.objects.filter(is_active=True), required=False)
    override_reason = _override_reason_field()

    def __init__(self, *args: Any, may_override: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_reason"]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for cancelling")


class AvailabilityForm(forms.Form):
    kind = forms.ChoiceField(choices=AppointmentKind.choices)
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, initial=60)
    medical_monitor = ClinicianChoiceField(
        queryset=_staff(Role.PRESCRIBER), required=False, label="Prescriber (medical monitor)"
    )
    therapist = ClinicianChoiceField(queryset=_staff(Role.THERAPIST), required=False)

    def __init__(self, *args: Any, patients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients  # type: ignore[attr-defined]


class ReadinessPatientForm(forms.Form):
    last_ate_at = forms.DateTimeField(widget=DATETIME, label="When did you last eat?")
    last_drank_at = forms.DateTimeField(widget=DATETIME, label="When did you last drink?")
    escort_name = forms.CharField(max_length=200, label="Escort's name")
    escort_phone = forms.CharField(max_length=30, label="Escort's phone")
    medications_last_24_hours = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Medicines taken in the last 24 hours",
    )
    pregnancy_attestation = forms.ChoiceField(
        choices=PregnancyAttestation.choices, label="Pregnancy"
    )
    feeling_today = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="How do you feel today?"
    )


# One pound in kilograms (exact, by definition).
KG_PER_LB = Decimal("0.45359237")


def _item_number(key: str) -> str:
    """ "item9" -> "9", "q6_past_3_months" -> "6 (past 3 months)": the number a clinician reads."""
    number = key.removeprefix("item").removeprefix("q")
    return number.replace("_past_3_months", " (past 3 months)")


def _item_fields(instrument: Instrument, prefix: str) -> dict[str, forms.Field]:
    """One optional choice per item, labelled with the instrument's published wording."""
    return {
        f"{prefix}_{item.key}": forms.TypedChoiceField(
            choices=[("", "Not asked")] + [(o.value, o.label) for o in item.options],
            coerce=int,
            empty_value=None,
            required=False,
            label=f"{instrument.name} {_item_number(item.key)}: {item.text}",
        )
        for item in instrument.items
    }


class ReadinessStaffForm(forms.Form):
    identity_confirmed = forms.BooleanField(required=False, label="Identity confirmed")
    consent_current = forms.BooleanField(required=False, label="Consent current")
    escort_confirmed = forms.BooleanField(required=False, label="Escort confirmed")
    last_ate_at = forms.DateTimeField(
        widget=DATETIME, required=False, label="Last ate (solid food)"
    )
    last_drank_at = forms.DateTimeField(
        widget=DATETIME, required=False, label="Last drank (clear liquids)"
    )
    weight = forms.DecimalField(
        max_digits=6, decimal_places=1, required=False, min_value=0, label="Today's weight"
    )
    weight_unit = forms.ChoiceField(
        choices=[("kg", "kg"), ("lb", "lb")], initial="kg", label="Weight unit"
    )
    weight_change_confirmed = forms.BooleanField(
        required=False,
        label="Weight re-checked: a change of more than the policy's percentage is real",
    )
    baseline_systolic = forms.IntegerField(required=False, label="Baseline systolic BP")
    baseline_diastolic = forms.IntegerField(required=False, label="Baseline diastolic BP")
    baseline_heart_rate = forms.IntegerField(required=False, label="Baseline heart rate")
    baseline_spo2 = forms.IntegerField(required=False, label="Baseline SpO2 (%)")
    pregnancy_test_date = forms.DateField(widget=DATE, required=False, label="Pregnancy test date")
    pregnancy_test_method = forms.ChoiceField(
        choices=[("", "No test")] + PregnancyTestMethod.choices,
        required=False,
        label="Pregnancy test method",
    )
    pregnancy_test_result = forms.ChoiceField(
        choices=[("", "No result")] + PregnancyTestResult.choices,
        required=False,
        label="Pregnancy test result",
    )
    mood_check = forms.CharField(max_length=300, required=False, label="Mood check (notes)")

    def __init__(self, *args: Any, weight_change_percent: int = 10, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weight_change_confirmed"].label = (
            f"Weight re-checked: the change of more than {weight_change_percent} % from the last "
            "recorded weight is real"
        )
        phq9 = _item_fields(PHQ9, "phq9")
        cssrs = _item_fields(CSSRS_SCREENER, "cssrs")
        self.fields.update(phq9)
        self.fields.update(cssrs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Identity, consent and escort",
                "identity_confirmed",
                "consent_current",
                "escort_confirmed",
            ),
            Fieldset(
                "Fasting (as the patient reports it)",
                Div(
                    Div("last_ate_at", css_class="col-md-6"),
                    Div("last_drank_at", css_class="col-md-6"),
                    css_class="row",
                ),
            ),
            Fieldset(
                "Weight",
                Div(
                    Div("weight", css_class="col-md-6"),
                    Div("weight_unit", css_class="col-md-6"),
                    css_class="row",
                ),
                "weight_change_confirmed",
            ),
            Fieldset(
                "Baseline vitals",
                Div(
                    *(
                        Div(name, css_class="col-md-3")
                        for name in (
                            "baseline_systolic",
                            "baseline_diastolic",
                            "baseline_heart_rate",
                            "baseline_spo2",
                        )
                    ),
                    css_class="row",
                ),
            ),
            Fieldset(
                "Pregnancy test (patients who can become pregnant)",
                Div(
                    Div("pregnancy_test_date", css_class="col-md-4"),
                    Div("pregnancy_test_method", css_class="col-md-4"),
                    Div("pregnancy_test_result", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
            Fieldset("Pre-dose mood check: PHQ-9, over the last 2 weeks", *phq9, "mood_check"),
            Fieldset(
                "C-SSRS screener: only when PHQ-9 item 9 is above 0 (past month)",
                *cssrs,
            ),
        )

    @staticmethod
    def initial_from(readiness: Any) -> dict[str, Any]:
        initial = {
            name: getattr(readiness, name)
            for name in (
                "identity_confirmed",
                "consent_current",
                "escort_confirmed",
                "last_ate_at",
                "last_drank_at",
                "weight_change_confirmed",
                "baseline_systolic",
                "baseline_diastolic",
                "baseline_heart_rate",
                "baseline_spo2",
                "pregnancy_test_date",
                "pregnancy_test_method",
                "pregnancy_test_result",
                "mood_check",
            )
        }
        initial["weight"] = readiness.weight_kg
        initial["weight_unit"] = "kg"
        for key, value in (readiness.predose_phq9_answers or {}).items():
            initial[f"phq9_{key}"] = value
        for key, value in (readiness.predose_cssrs_answers or {}).items():
            initial[f"cssrs_{key}"] = value
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weight = data.get("weight")
        if weight is not None and data.get("weight_unit") == "lb":
            weight = (weight * KG_PER_LB).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if weight is not None and not Decimal("20") <= weight <= Decimal("350"):
            self.add_error("weight", f"{weight} kg is outside 20-350 kg; check the unit.")
        data["weight_kg"] = weight
        return data

    def readiness_checks(self) -> dict[str, Any]:
        """The cleaned data as the check-in service takes it (weight in kg, item answers)."""
        data = dict(self.cleaned_data)
        data.pop("weight", None)
        data.pop("weight_unit", None)
        data["predose_phq9_answers"] = {
            item.key: data.pop(f"phq9_{item.key}") for item in PHQ9.items
        }
        data["predose_cssrs_answers"] = {
            item.key: data.pop(f"cssrs_{item.key}") for item in CSSRS_SCREENER.items
        }
        return data


class OverrideForm(forms.Form):
    prefix = "override"  # several forms share the dosing page

    code = forms.CharField(max_length=60, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, label="Reason for overriding this no-go")


class AbandonForm(forms.Form):
    prefix = "abandon"  # several forms share the dosing page

    reason = forms.CharField(max_length=300, label="Why no dose today")


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        expires = f"{obj.expires_on:%d %b %Y}"
        return f"{obj.lot_number} · {obj.product.name} · {obj.safe.name} · expires {expires}"


class DoseForm(forms.Form):
    prefix = "dose"  # several forms share the dosing page

    dose_mg = forms.DecimalField(max_digits=7, decimal_places=2, label="Dose (mg)")
    # The lot from the safe where the location keeps the drug in the ledger (the page narrows the
    # choices); the lot number is typed only where it does not.
    stock_lot = LotChoiceField(
        queryset=StockLot.objects.select_related("product", "safe"),
        required=False,
        label="Lot from the safe",
    )
    lot_number = forms.CharField(max_length=60, required=False, label="Lot number")
    started_at = forms.DateTimeField(widget=DATETIME, label="Dose started")
    ended_at = forms.DateTimeField(widget=DATETIME, label="Dose ended")
    waste_mg = forms.DecimalField(
        max_digits=7, decimal_places=2, required=False, initial=0, label="Wasted (mg)"
    )
    waste_witnessed_by = forms.ModelChoiceField(
        queryset=User.objects.filter(role__in=[Role.PRESCRIBER, Role.THERAPIST], is_active=True),
        required=False,
        label="Waste witnessed by",
    )
    waste_witness_password = forms.CharField(
        required=False, widget=forms.PasswordInput, label="Witness's password"
    )


class OtherMedicationForm(forms.Form):
    prefix = "medication"  # several forms share the dosing page

    medicine = forms.CharField(max_length=120)
    dose = forms.CharField(max_length=60)
    route = forms.CharField(max_length=60)
    reason = forms.CharField(max_length=300, label="Why it was given")
    given_at = forms.DateTimeField(widget=DATETIME, label="Given at")


class VitalsForm(forms.Form):
    prefix = "vitals"  # several forms share the dosing page

    taken_at = forms.DateTimeField(widget=DATETIME, label="Taken at")
    blood_pressure_systolic = forms.IntegerField(label="Systolic BP")
    blood_pressure_diastolic = forms.IntegerField(label="Diastolic BP")
    heart_rate = forms.IntegerField(label="Heart rate")
    spo2 = forms.IntegerField(label="SpO2 (%)")
    respiratory_rate = forms.IntegerField(required=False, label="Respiratory rate")


def _instrument_choices(item: Any) -> list[tuple[int, str]]:
    return [(option.value, f"{option.value} · {option.label}") for option in item.options]


def _cadss_item(number: int) -> forms.TypedChoiceField:
    # Published wording as the intake instrument holds it; CADSS-6 wording is unverified
    # (CLINICAL.md), shown so on the page.
    item = next(item for item in CADSS6.items if item.key == f"item{number}")
    return forms.TypedChoiceField(
        coerce=int, choices=_instrument_choices(item), label=f"CADSS {number}. {item.text}"
    )


class ScoresForm(forms.Form):
    prefix = "scores"  # several forms share the dosing page

    taken_at = forms.DateTimeField(widget=DATETIME, label="Assessed at")
    moaas = forms.TypedChoiceField(
        coerce=int,
        choices=list(reversed(_instrument_choices(MOAAS.items[0]))),
        label="Sedation, MOAA/S (Chernik 1990)",
    )
    cadss_item_1 = _cadss_item(1)
    cadss_item_2 = _cadss_item(2)
    cadss_item_6 = _cadss_item(6)
    cadss_item_7 = _cadss_item(7)
    cadss_item_15 = _cadss_item(15)
    cadss_item_22 = _cadss_item(22)


class ObservationForm(forms.Form):
    prefix = "observation"  # several forms share the dosing page

    observed_at = forms.DateTimeField(widget=DATETIME, label="Observed at")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Observation")


class AdverseEventForm(forms.Form):
    prefix = "adverse"  # several forms share the dosing page

    occurred_at = forms.DateTimeField(widget=DATETIME, label="Occurred at")
    description = forms.CharField(max_length=300, label="What happened")
    severity = forms.ChoiceField(choices=Severity.choices)
    action_taken = forms.CharField(max_length=300, label="Action taken")


class DischargeForm(forms.Form):
    prefix = "discharge"  # several forms share the dosing page

    vitals_near_baseline = forms.BooleanField(required=False, label="Vitals near baseline")
    alert_and_oriented = forms.BooleanField(required=False, label="Alert and oriented")
    walking_unaided = forms.BooleanField(required=False, label="Walking unaided")
    escort_present = forms.BooleanField(required=False, label="Escort present")
    ready_to_leave_at = forms.DateTimeField(
        widget=DATETIME, label="Would have been ready to leave at"
    )
    concomitant_benzodiazepine = forms.BooleanField(
        required=False, label="Concomitant benzodiazepine"
    )
    concomitant_non_benzodiazepine_hypnotic = forms.BooleanField(
        required=False, label="Concomitant non-benzodiazepine hypnotic"
    )
    concomitant_psychostimulant = forms.BooleanField(
        required=False, label="Concomitant psychostimulant"
    )
    concomitant_maoi = forms.BooleanField(required=False, label="Concomitant MAOI")
    concomitant_confirmed = forms.BooleanField(
        required=False,
        label="I have reviewed the concomitant medicines above (REMS form)",
    )
    missed_vitals_acknowledged = forms.BooleanField(
        required=False, label="I acknowledge the missed vitals checks listed above"
    )
    baseline_missing_judgement = forms.CharField(
        max_length=500,
        required=False,
        label="No baseline blood pressure: my judgement of the last reading, with the reason",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Session summary for the chart"
    )
