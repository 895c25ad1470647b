"""Settings of the child processes (worker, dispatcher) of the reliability tests and the bench."""

import os

from kap_clinic.settings import *  # noqa: F403

# A real SMTP server (the test's own) when KAP_TEST_SMTP is set; else a recording backend.
if not os.environ.get("KAP_TEST_SMTP"):
    EMAIL_BACKEND = "tests.notifications.backends.RecordingEmailBackend"
