"""Height and weight in the patient's chosen unit, stored metric (issue 10, item 14)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from intake.forms import MEDICAL_CONDITIONS, MedicalHistoryForm
from intake.units import feet_inches_from_cm, height_cm_from_feet_inches, weight_kg_from_pounds


@pytest.mark.parametrize(
    ("feet", "inches", "cm"),
    [
        (5, 0, 152),  # 60 in = 152.4 cm
        (5, 10, 178),  # 70 in = 177.8 cm
        (6, Decimal("0.5"), 184),  # 72.5 in = 184.15 cm
        (0, Decimal("1.5"), 4),  # 3.81 cm rounds half up to 4
        (3, Decimal("11.9"), 122),  # the last inch below a foot
        (0, 0, 0),
    ],
)
def test_feet_and_inches_convert_to_whole_centimetres(feet: int, inches: Any, cm: int) -> None:
    assert height_cm_from_feet_inches(feet, inches) == cm


@pytest.mark.parametrize(("feet", "inches"), [(-1, 0), (5, -1), (5, 12), (5, Decimal("12.0"))])
def test_impossible_feet_and_inches_are_refused(feet: int, inches: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (the message is for the patient)
        height_cm_from_feet_inches(feet, inches)


@pytest.mark.parametrize(
    ("pounds", "kg"),
    [
        (Decimal("154"), Decimal("69.9")),  # 69.853 kg
        (Decimal("1"), Decimal("0.5")),  # 0.4536 kg
        (Decimal("0"), Decimal("0.0")),
        (Decimal("771.6"), Decimal("350.0")),  # the form's upper limit in kilograms
        (Decimal("0.11"), Decimal("0.0")),  # 0.0499 kg rounds down
    ],
)
def test_pounds_convert_to_kilograms_to_one_decimal(pounds: Decimal, kg: Decimal) -> None:
    assert weight_kg_from_pounds(pounds) == kg


def test_negative_pounds_are_refused() -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        weight_kg_from_pounds(Decimal("-1"))


def test_a_stored_height_shows_back_in_feet_and_inches() -> None:
    assert feet_inches_from_cm(178) == (5, Decimal("10.1"))


def _medical(**values: str) -> dict[str, str]:
    answers = {name: "no" for name, _ in MEDICAL_CONDITIONS}
    return answers | values


def test_the_medical_step_stores_metric_whatever_unit_the_patient_chose() -> None:
    form = MedicalHistoryForm(
        data=_medical(
            height_unit="ft_in",
            height_feet="5",
            height_inches="10",
            weight_unit="lb",
            weight_lb="154",
        )
    )
    assert form.is_valid(), form.errors
    answers = form.answers()
    assert (answers["height_cm"], answers["weight_kg"]) == (178, "69.9")
    assert (answers["height_unit"], answers["weight_unit"]) == ("ft_in", "lb")


def test_metric_stays_the_default_and_the_other_units_boxes_are_ignored() -> None:
    form = MedicalHistoryForm(
        data=_medical(height_cm="170", weight_kg="70.0", height_feet="9", weight_lb="1")
    )
    assert form.is_valid(), form.errors
    answers = form.answers()
    assert (answers["height_cm"], answers["weight_kg"]) == (170, "70.0")
    assert answers["height_feet"] is None
    assert answers["weight_lb"] is None


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"height_unit": "ft_in", "weight_kg": "70"}, "height_feet", "feet and inches"),
        (
            {"height_unit": "ft_in", "height_feet": "5", "height_inches": "12", "weight_kg": "70"},
            "height_inches",
            "less than or equal to 11.9",
        ),
        (
            {"height_unit": "ft_in", "height_feet": "8", "height_inches": "11", "weight_kg": "70"},
            "height_feet",
            "out of range",
        ),
        (
            {"height_unit": "ft_in", "height_feet": "five", "weight_kg": "70"},
            "height_feet",
            "Enter a whole number",
        ),
        ({"height_cm": "170", "weight_unit": "lb", "weight_lb": "-5"}, "weight_lb", "greater"),
        ({"height_cm": "170", "weight_unit": "lb", "weight_lb": "abc"}, "weight_lb", "number"),
        ({"height_cm": "170", "weight_unit": "lb"}, "weight_lb", "in pounds"),
        ({"height_cm": "170"}, "weight_kg", "your weight"),
        ({"height_cm": "", "weight_kg": "70"}, "height_cm", "your height"),
        ({"height_cm": "170", "weight_kg": "70", "height_unit": "yards"}, "height_unit", "valid"),
    ],
)
def test_bad_heights_and_weights_get_a_message_on_the_field(
    values: dict[str, str], field: str, message: str
) -> None:
    form = MedicalHistoryForm(data=_medical(**values))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
