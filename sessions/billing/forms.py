"""Billing forms: input only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from sessions.billing.models import (
    BILLABLE_SYSTEMS,
    BillingCode,
    BillingPolicy,
    CodeSystem,
    FeeDefault,
    PaymentMethod,
    SlidingScalePolicy,
    SlidingScaleTier,
)
from sessions.models import AppointmentKind


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", submit_label))
    return helper


class _SaveForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save")


class BillingCodeForm(_SaveForm):
    class Meta:
        model = BillingCode
        fields = [
            "system",
            "code",
            "description",
            "fee",
            "unit",
            "min_minutes",
            "max_minutes",
            "is_add_on",
            "disorder_group",
            "source",
            "is_active",
        ]

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        system = data.get("system")
        fee = data.get("fee")
        if fee is not None and fee < 0:
            self.add_error("fee", "A fee cannot be negative.")
        if fee is not None and system and system not in BILLABLE_SYSTEMS:
            self.add_error("fee", "Only procedure (CPT or HCPCS) codes carry a fee.")
        low, high = data.get("min_minutes"), data.get("max_minutes")
        if low is not None and high is not None and high < low:
            self.add_error("max_minutes", "The upper time limit must not be below the lower one.")
        if data.get("disorder_group") and system != CodeSystem.ICD10:
            self.add_error("disorder_group", "Only diagnoses belong to a disorder group.")
        return data


class CourseDiagnosisForm(forms.Form):
    code = forms.ModelChoiceField(
        label="Diagnosis",
        queryset=BillingCode.objects.filter(system=CodeSystem.ICD10, is_active=True),
        error_messages={"invalid_choice": "Choose a diagnosis from the clinic's ICD-10-CM list."},
    )
    is_primary = forms.BooleanField(label="Primary diagnosis", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Add diagnosis")


class FeeDefaultForm(_SaveForm):
    appointment_kind = forms.ChoiceField(label="Appointment kind", choices=AppointmentKind.choices)

    class Meta:
        model = FeeDefault
        fields = ["appointment_kind", "protocol", "code", "units"]
        labels = {"protocol": "Only for protocol", "code": "Code"}


class SlidingScaleTierForm(_SaveForm):
    class Meta:
        model = SlidingScaleTier
        fields = ["name", "discount_percent", "max_income_percent", "is_active"]

    def clean_discount_percent(self) -> Any:
        value = self.cleaned_data["discount_percent"]
        if value is not None and not 0 <= value <= 100:
            raise forms.ValidationError("A discount is between 0 and 100 %.")
        return value


class SlidingScalePolicyForm(_SaveForm):
    class Meta:
        model = SlidingScalePolicy
        fields = ["base_income", "per_additional_person", "source"]
        labels = {
            "base_income": "Income line for one person (USD)",
            "per_additional_person": "Added for each further person (USD)",
        }


class ChargeAdjustForm(forms.Form):
    amount = forms.DecimalField(
        label="Adjustment (USD, negative to reduce)", max_digits=10, decimal_places=2
    )
    reason = forms.CharField(label="Reason", max_length=300)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label="Amount (USD)", max_digits=10, decimal_places=2)
    method = forms.ChoiceField(label="Paid by", choices=PaymentMethod.choices)
    reference = forms.CharField(
        label="Cheque or terminal receipt number",
        max_length=60,
        required=False,
        help_text="Never enter card numbers.",
    )
    is_credit = forms.BooleanField(label="Keep any excess as credit", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record payment")

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("A payment is more than zero.")
        return amount


class SuperbillPeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False)
    end = forms.DateField(label="To", required=False)


class BillingPolicyForm(_SaveForm):
    class Meta:
        model = BillingPolicy
        fields = ["gfe_dispute_threshold", "gfe_dispute_threshold_source"]

    def clean_gfe_dispute_threshold(self) -> Any:
        value = self.cleaned_data["gfe_dispute_threshold"]
        if value is not None and value <= 0:
            raise forms.ValidationError("The threshold is more than zero.")
        return value


class PatientSlidingScaleForm(forms.Form):
    tier = forms.ModelChoiceField(
        label="Tier",
        queryset=SlidingScaleTier.objects.filter(is_active=True),
        error_messages={"invalid_choice": "Choose one of the clinic's tiers in use."},
    )
    household_income = forms.DecimalField(
        label="Household income per year (USD)",
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text="Needed for a tier by income.",
    )
    household_size = forms.IntegerField(label="People in the household", required=False)
    review_on = forms.DateField(label="Review date", widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(
        label="Evidence seen",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: 2025 tax return, two recent pay slips.",
    )
    reason = forms.CharField(label="Reason for the discount", max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Set the tier")

    def clean_household_income(self) -> Any:
        value = self.cleaned_data["household_income"]
        if value is not None and value < 0:
            raise forms.ValidationError("Income cannot be negative.")
        return value

    def clean_household_size(self) -> Any:
        value = self.cleaned_data["household_size"]
        if value is not None and value < 1:
            raise forms.ValidationError("A household has at least one person.")
        return value
