"""Clinician pickers that show an expired credential: "Name (credential expired)" in red."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

EXPIRED_SUFFIX = " (credential expired)"


class ClinicianChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField of users whose options flag a lapsed licence or DEA registration.

    The lapsed set is read once per form render (two small queries), not once per option.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._expired: set[int] | None = None
        kwargs.setdefault("widget", ClinicianSelect())
        super().__init__(*args, **kwargs)
        self.widget.field = self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = super().__deepcopy__(memo)
        result.widget.field = result
        result._expired = None
        return result

    def expired_ids(self) -> set[int]:
        if self._expired is None:
            from kap_clinic.clinic.selectors import expired_clinician_ids

            self._expired = expired_clinician_ids(on=timezone.localdate())
        return self._expired

    def label_from_instance(self, obj: Any) -> str:
        label = super().label_from_instance(obj)
        return f"{label}{EXPIRED_SUFFIX}" if obj.pk in self.expired_ids() else label


class ClinicianSelect(forms.Select):
    field: ClinicianChoiceField

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        pk = getattr(value, "value", value)
        if pk not in ("", None) and int(pk) in self.field.expired_ids():
            option["attrs"]["class"] = "text-danger"
            option["attrs"]["data-credential"] = "expired"
        return option
