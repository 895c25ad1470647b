"""Email backends for the tests and the benchmark that run a real worker in a child process.

``RecordingEmailBackend`` appends the id of each delivered message (its X-KAP-Message header) to
the file named by ``KAP_TEST_DELIVERY_LOG``, so a test can count deliveries across processes.
With ``KAP_TEST_BLOCK_FIFO`` set it first announces the send on that named pipe and then blocks
for ever, standing for a mail server that hangs: the test kills the worker at that moment. With
``KAP_TEST_HANG_AFTER_SEND_FIFO`` it hangs after the send instead (the mail server accepted the
message, the worker dies before recording it); ``KAP_TEST_MESSAGE_ID_LOG`` records each send's
Message-ID header.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


def _append(path: str, line: str) -> None:
    # One write() per line with O_APPEND: lines from concurrent processes never interleave.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, f"{line}\n".encode())
    finally:
        os.close(descriptor)


def _announce_and_hang(fifo_path: str, line: str) -> None:
    with open(fifo_path, "w") as fifo:
        fifo.write(f"{line}\n")
    threading.Event().wait()  # hangs until the worker is killed


class RecordingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        block_fifo = os.environ.get("KAP_TEST_BLOCK_FIFO")
        hang_after_fifo = os.environ.get("KAP_TEST_HANG_AFTER_SEND_FIFO")
        header_log = os.environ.get("KAP_TEST_MESSAGE_ID_LOG")
        # A slow mail server (seconds per message), so a backlog takes a while to drain.
        pause = float(os.environ.get("KAP_TEST_SEND_SECONDS", "0"))
        log = os.environ["KAP_TEST_DELIVERY_LOG"]
        for email in email_messages:
            message_id = email.extra_headers["X-KAP-Message"]
            if block_fifo:
                _announce_and_hang(block_fifo, f"sending {message_id}")
            if pause:
                time.sleep(pause)
            _append(log, message_id)
            if header_log:
                _append(header_log, f"{message_id} {email.extra_headers['Message-ID']}")
            if hang_after_fifo:
                # The mail server has the message; the worker dies before recording it.
                _announce_and_hang(hang_after_fifo, f"sent {message_id}")
        return len(email_messages)
