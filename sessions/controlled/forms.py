"""Ledger forms: input only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import STAFF_ROLES
from sessions.controlled.models import (
    CountKind,
    EntryKind,
    LedgerPolicy,
    Product,
    Safe,
    StockLot,
)


def _helper(submit_label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.add_input(Submit("submit", submit_label))
    return helper


class _SaveForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Save")


class SafeForm(_SaveForm):
    class Meta:
        model = Safe
        fields = ["location", "name", "is_active"]


class ProductForm(_SaveForm):
    class Meta:
        model = Product
        fields = ["name", "ndc", "drug", "strength_mg", "form", "counting_unit", "is_active"]
        help_texts = {
            "strength_mg": "Esketamine: mg per device (28). Ketamine: mg per mL of the solution.",
            "counting_unit": "Esketamine is counted in devices, ketamine solution in mL.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("drug") == "esketamine" and data.get("counting_unit") != "device":
            self.add_error("counting_unit", "Esketamine is counted in devices.")
        return data


class LedgerPolicyForm(_SaveForm):
    class Meta:
        model = LedgerPolicy
        fields = ["daily_counts_required", "full_inventory_every_days"]
        help_texts = {
            "full_inventory_every_days": "At most 730: the law asks for a complete inventory at "
            "least every two years (21 CFR 1304.11(c)).",
        }

    def clean_full_inventory_every_days(self) -> int:
        days = int(self.cleaned_data["full_inventory_every_days"])
        if days > 730:
            raise forms.ValidationError("A full inventory is due at least every two years (730).")
        return days


class LotField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.product.name} lot {obj.lot_number} · {obj.safe.name}"


def _lots() -> Any:
    return StockLot.objects.select_related("product", "safe").filter(safe__is_active=True)


def _witnesses() -> Any:
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name")


class WitnessFields(forms.Form):
    witness = forms.ModelChoiceField(queryset=_witnesses(), label="Witness")
    witness_password = forms.CharField(
        widget=forms.PasswordInput, label="Witness's password", strip=False
    )


class ReceiptForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True))
    safe = forms.ModelChoiceField(
        queryset=Safe.objects.filter(is_active=True).select_related("location"), label="Into safe"
    )
    lot_number = forms.CharField(max_length=60, label="Lot number")
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Expiry")
    quantity = forms.DecimalField(max_digits=10, decimal_places=3, label="Quantity (devices or mL)")
    supplier = forms.CharField(max_length=120)
    invoice_number = forms.CharField(max_length=60, label="Invoice number")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record receipt")


class WasteForm(WitnessFields):
    stock_lot = LotField(queryset=_lots(), label="Lot")
    quantity = forms.DecimalField(max_digits=10, decimal_places=3, label="Wasted (devices or mL)")
    reason = forms.CharField(max_length=300, label="Why it was wasted")
    field_order = ["stock_lot", "quantity", "reason", "witness", "witness_password"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record waste")


class TransferForm(forms.Form):
    stock_lot = LotField(queryset=_lots(), label="Lot")
    to_safe = forms.ModelChoiceField(
        queryset=Safe.objects.filter(is_active=True).select_related("location"), label="To safe"
    )
    quantity = forms.DecimalField(max_digits=10, decimal_places=3, label="Quantity")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record transfer")


class DisposalForm(WitnessFields):
    kind = forms.ChoiceField(
        choices=[
            (EntryKind.RETURN.value, EntryKind.RETURN.label),
            (EntryKind.DESTRUCTION.value, EntryKind.DESTRUCTION.label),
        ],
        label="Return or destruction",
    )
    stock_lot = LotField(queryset=_lots(), label="Lot")
    quantity = forms.DecimalField(max_digits=10, decimal_places=3, label="Quantity")
    reference = forms.CharField(
        max_length=120, label="Reference (return authorisation or DEA Form 41)"
    )
    field_order = ["kind", "stock_lot", "quantity", "reference", "witness", "witness_password"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Record")


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why the entry is reversed")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Post the reversing entry")


class CountForm(forms.Form):
    """A blind count: one field per lot in the safe, never the expected balance."""

    kind = forms.ChoiceField(choices=CountKind.choices, label="Kind of count")

    def __init__(self, *args: Any, lots: list[StockLot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = lots
        for lot in lots:
            self.fields[f"lot_{lot.id}"] = forms.DecimalField(
                max_digits=10,
                decimal_places=3,
                min_value=0,
                label=f"{lot.product.name} lot {lot.lot_number} ({lot.product.unit_label})",
            )
        self.helper = _helper("Record count")

    def counted(self) -> dict[int, Any]:
        return {lot.id: self.cleaned_data[f"lot_{lot.id}"] for lot in self.lots}


class IncidentResolveForm(forms.Form):
    explanation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    loss_report_reference = forms.CharField(
        max_length=120,
        required=False,
        label="Loss or theft report reference (DEA Form 106)",
        help_text="Required when stock is missing.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Resolve")
