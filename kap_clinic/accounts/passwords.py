"""Password validators beyond Django's: breached passwords (a packaged list) and repetitive ones."""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS


@cache
def _breached_passwords() -> frozenset[str]:
    # zxcvbn ships the most common passwords of public breach corpora (about 30,000); no network.
    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_breached(password: str) -> bool:
    lowered = password.lower()
    if lowered in _breached_passwords():
        return True
    # "password123!" is "password" with a common suffix: strip trailing digits and symbols.
    stem = lowered.rstrip("0123456789!@#$%^&*?.-_ ")
    return len(stem) >= 6 and stem in _breached_passwords()


class BreachedPasswordValidator:
    """Refuses passwords found in breach corpora (zxcvbn's packaged list)."""

    def validate(self, password: str, user: object = None) -> None:
        if _is_breached(password):
            raise ValidationError(
                "This password has appeared in data breaches. Choose another.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be one that has appeared in data breaches."


def _is_repetitive(password: str) -> bool:
    """True when the password is one short unit repeated ("aaaaaaaaaaaa", "abcabcabcabc") or a
    plain run of consecutive characters ("abcdefghijkl", "123456789012")."""
    if len(set(password)) <= 2:
        return True
    for size in range(1, len(password) // 2 + 1):
        unit = password[:size]
        if len(password) % size == 0 and unit * (len(password) // size) == password:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps <= {1} or steps <= {-1} or steps <= {1, -9} or steps <= {-1, 9}


class RepetitivePasswordValidator:
    """Refuses trivially repetitive passwords: a character or short unit repeated, or a run."""

    def validate(self, password: str, user: object = None) -> None:
        if _is_repetitive(password):
            raise ValidationError(
                "This password is too repetitive. Choose one that does not repeat a pattern.",
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be a repeated character, pattern or run such as 1234."
