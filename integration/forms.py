"""Input validation for integration pages (rules live in the services)."""

from __future__ import annotations

from typing import Any

from django import forms

from intake.instruments import MADRS
from integration.models import RatingOccasion


class MadrsForm(forms.Form):
    """The ten MADRS items, each rated 0-6 by the clinician (Montgomery & Åsberg 1979)."""

    occasion = forms.ChoiceField(
        choices=[("", "Choose…"), *RatingOccasion.choices], label="When in the course"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, item in enumerate(MADRS.items, start=1):
            self.fields[item.key] = forms.TypedChoiceField(
                coerce=int,
                choices=[("", "—"), *((option.value, option.label) for option in item.options)],
                label=f"{number}. {item.text}",
            )

    def answers(self) -> dict[str, int]:
        return {item.key: self.cleaned_data[item.key] for item in MADRS.items}


class ClearanceCosignForm(forms.Form):
    """The supervisor confirms having reviewed a trainee's clearance before co-signing it."""

    confirm = forms.BooleanField(
        label="I have reviewed this assessment and co-sign the trainee's clearance",
        error_messages={"required": "Tick the box to confirm you co-sign this clearance."},
    )


class HoursGoalForm(forms.Form):
    """The hours a supervisee aims for under one supervision (limits are the service's)."""

    direct_hours = forms.IntegerField(label="Direct clinical hours goal", min_value=0)
    indirect_hours = forms.IntegerField(label="Indirect hours goal", min_value=0)
