"""How the daily digest names a patient: initials only, since the digest travels by email."""

from __future__ import annotations


def initials(*names: str) -> str:
    return " ".join(f"{name.strip()[0].upper()}." for name in names if name.strip())
