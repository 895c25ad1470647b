"""Checks run when a production process starts (web server, Celery worker and beat)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def production_backends_check() -> None:
    """With DEBUG off, console SMS and file email are refused unless explicitly allowed: one
    prints phone numbers and message text, the other writes emails with sign-in links to disk."""
    if settings.DEBUG:
        return
    problems = []
    if settings.SMS_BACKEND == "console" and not settings.ALLOW_CONSOLE_SMS:
        problems.append(
            "SMS_BACKEND is console: set SMS_BACKEND=twilio, or ALLOW_CONSOLE_SMS=1 to accept it"
        )
    if settings.EMAIL_BACKEND == FILE_EMAIL_BACKEND and not settings.ALLOW_FILE_EMAIL:
        problems.append(
            "EMAIL_URL is not set: set it, or ALLOW_FILE_EMAIL=1 to write emails to files"
        )
    if problems:
        raise ImproperlyConfigured("Refusing to start with DEBUG off: " + "; ".join(problems) + ".")
