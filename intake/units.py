"""Height and weight in the unit a patient chooses, stored metric (issue 10, item 14)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CM_PER_INCH = Decimal("2.54")  # exact, by definition of the international inch
KG_PER_POUND = Decimal("0.45359237")  # exact, by definition of the international pound
INCHES_PER_FOOT = 12

# What the intake accepts, in metric (the form's own limits).
HEIGHT_CM_MIN, HEIGHT_CM_MAX = 100, 250
WEIGHT_KG_MIN, WEIGHT_KG_MAX = Decimal(25), Decimal(350)


def height_cm_from_feet_inches(feet: int, inches: Decimal | int = 0) -> int:
    """Whole centimetres, rounded half up. Inches are 0 to under 12; negatives are refused."""
    inches = Decimal(inches)
    if feet < 0 or inches < 0:
        raise ValueError("A height cannot be negative.")
    if inches >= INCHES_PER_FOOT:
        raise ValueError("Inches are fewer than 12; give whole feet in the feet box.")
    total = (Decimal(feet) * INCHES_PER_FOOT + inches) * CM_PER_INCH
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def weight_kg_from_pounds(pounds: Decimal | int) -> Decimal:
    """Kilograms to one decimal, rounded half up. Negatives are refused."""
    pounds = Decimal(pounds)
    if pounds < 0:
        raise ValueError("A weight cannot be negative.")
    return (pounds * KG_PER_POUND).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def feet_inches_from_cm(cm: int) -> tuple[int, Decimal]:
    """For showing a stored height back in feet and inches (inches to one decimal)."""
    inches = (Decimal(cm) / CM_PER_INCH).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return int(inches // INCHES_PER_FOOT), inches % INCHES_PER_FOOT
