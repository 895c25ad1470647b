"""Breached and repetitive passwords are refused (issue 17, item 9)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kap_clinic.accounts.models import User
from kap_clinic.accounts.passwords import BreachedPasswordValidator, RepetitivePasswordValidator
from tests.factories import TEST_PASSWORD


@pytest.mark.parametrize("password", ["trustno1", "password123!", "Iloveyou2024", "qwertyuiop"])
def test_breached_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="data breaches"):
        BreachedPasswordValidator().validate(password)


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "abcabcabcabc", "123456789012", "abcdefghijkl", "zyxwvutsrqpo"]
)
def test_repetitive_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="too repetitive"):
        RepetitivePasswordValidator().validate(password)


@pytest.mark.parametrize("password", ["sunflower-velvet-harbor", "Tr0ub4dor&3-horse"])
def test_a_strong_password_passes_every_validator(password: str) -> None:
    validate_password(password)


@pytest.mark.django_db
def test_the_password_change_page_refuses_a_repetitive_password(
    client: Client, front_desk: User
) -> None:
    client.force_login(front_desk)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "xyzxyzxyzxyzxyz",
            "new_password2": "xyzxyzxyzxyzxyz",
        },
    )
    assert response.status_code == 200
    assert "too repetitive" in response.content.decode()
    front_desk.refresh_from_db()
    assert front_desk.check_password(TEST_PASSWORD)
