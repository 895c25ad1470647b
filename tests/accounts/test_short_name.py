"""The greeting on the landing page uses a short name that is a name, not a lone title."""

from __future__ import annotations

import pytest

from kap_clinic.accounts.models import User


@pytest.mark.parametrize(
    ("full_name", "short"),
    [
        ("Dr. Priya Natarajan", "Dr. Priya"),
        ("dr Priya Natarajan", "dr Priya"),
        ("Sam Okafor", "Sam"),
        ("Cher", "Cher"),
        ("Dr.", "Dr."),
        ("  Mx.  Robin  Test ", "Mx. Robin"),
    ],
)
def test_the_short_name_keeps_the_name_after_a_title(full_name: str, short: str) -> None:
    assert User(email="x@example.org", full_name=full_name).get_short_name() == short


def test_no_name_falls_back_to_the_email() -> None:
    assert User(email="x@example.org", full_name="").get_short_name() == "x@example.org"
