"""Identifiers the clinic's records carry: the NPI (with its check digit) and the EIN."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# CLINICAL.md, Billing facts: an NPI has 10 digits, the last a Luhn check digit computed over the
# prefix 80840 followed by the first 9 digits (CMS, "NPI: Check Digit" standard).
NPI_PREFIX = "80840"
_EIN = re.compile(r"^\d{2}-?\d{7}$")
# A US state ("CA") or another region code ("ON", "GB-ENG"), as ISO 3166-2 writes them.
_JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that makes ``digits`` + that digit pass the Luhn test."""
    total = 0
    # Double every second digit from the right of the payload (the check digit is appended).
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    if len(npi) != 10 or not npi.isdigit():
        return False
    return luhn_check_digit(NPI_PREFIX + npi[:9]) == int(npi[9])


def validate_npi(value: str) -> None:
    if len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI has exactly 10 digits.", code="npi_format")
    if not npi_is_valid(value):
        raise ValidationError(
            "This NPI's check digit is wrong; please check the number.", code="npi_check_digit"
        )


def validate_ein(value: str) -> None:
    if not _EIN.match(value):
        raise ValidationError("An EIN has 9 digits, written 12-3456789.", code="ein_format")


def ein_normalise(value: str) -> str:
    digits = value.replace("-", "").strip()
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 else value.strip()


def validate_jurisdiction(value: str) -> None:
    if not _JURISDICTION.match(value):
        raise ValidationError(
            "Use a two-letter US state (CA) or a region code such as ON or GB-ENG.",
            code="jurisdiction",
        )
