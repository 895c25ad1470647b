"""Settings of the child processes (worker, dispatcher) of the reliability tests and the bench."""

from kap_clinic.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.backends.RecordingEmailBackend"
