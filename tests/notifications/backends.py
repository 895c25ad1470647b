"""Email backends for the tests and the benchmark that run a real worker in a child process.

``RecordingEmailBackend`` appends the id of each delivered message (its X-KAP-Message header) to
the file named by ``KAP_TEST_DELIVERY_LOG``, so a test can count deliveries across processes.
With ``KAP_TEST_BLOCK_FIFO`` set it first announces the send on that named pipe and then blocks
for ever, standing for a mail server that hangs: the test kills the worker at that moment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class RecordingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        block_fifo = os.environ.get("KAP_TEST_BLOCK_FIFO")
        log = os.environ["KAP_TEST_DELIVERY_LOG"]
        for email in email_messages:
            message_id = email.extra_headers["X-KAP-Message"]
            if block_fifo:
                with open(block_fifo, "w") as fifo:
                    fifo.write(f"sending {message_id}\n")
                threading.Event().wait()  # hangs until the worker is killed
            # One write() per line with O_APPEND: lines from concurrent processes never interleave.
            descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, f"{message_id}\n".encode())
            finally:
                os.close(descriptor)
        return len(email_messages)
