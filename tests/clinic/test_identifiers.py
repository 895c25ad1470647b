import pytest
from django.core.exceptions import ValidationError

from kap_clinic.clinic.validators import (
    ein_normalise,
    luhn_check_digit,
    npi_is_valid,
    validate_ein,
    validate_npi,
)


@pytest.mark.parametrize(
    "npi",
    [
        "1234567893",  # the CMS example in "Requirements for the NPI check digit"
        "1245319599",  # a worked example used in NPI check-digit references
        "1000000004",
    ],
)
def test_published_valid_npis_pass_the_check_digit(npi: str) -> None:
    assert npi_is_valid(npi)
    validate_npi(npi)


@pytest.mark.parametrize(
    "npi", ["1234567890", "1234567894", "1245319598", "2234567893", "0000000001"]
)
def test_an_npi_with_a_wrong_check_digit_is_refused_with_a_clear_reason(npi: str) -> None:
    assert not npi_is_valid(npi)
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi(npi)


@pytest.mark.parametrize("npi", ["123456789", "12345678931", "12345678a3", "", " 123456789"])
def test_an_npi_must_be_ten_digits(npi: str) -> None:
    assert not npi_is_valid(npi)
    with pytest.raises(ValidationError, match="10 digits"):
        validate_npi(npi)


def test_the_check_digit_is_luhn_over_the_80840_prefix() -> None:
    # CMS worked example: 80840 + 123456789 gives the check digit 3.
    assert luhn_check_digit("80840123456789") == 3


@pytest.mark.parametrize("ein", ["12-3456789", "123456789"])
def test_an_ein_has_nine_digits(ein: str) -> None:
    validate_ein(ein)
    assert ein_normalise(ein) == "12-3456789"


@pytest.mark.parametrize("ein", ["12-345678", "1234567890", "AB-3456789", "123-456789"])
def test_a_malformed_ein_is_refused(ein: str) -> None:
    with pytest.raises(ValidationError, match="9 digits"):
        validate_ein(ein)
