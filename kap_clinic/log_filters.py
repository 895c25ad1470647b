"""Every log record passes through this filter: emails, phone numbers and URL query strings are
masked before anything is written, so a name searched for or an address typed never reaches a log.
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers: E.164 (+15555550100), ten digits in the usual groupings with or without +1, or
# a local seven-digit number written with a dash or dot (555-0100).
PHONE = re.compile(
    r"(?<![\w/.:-])"
    r"(?:\+\d{8,15}|(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}|\d{3}[.-]\d{4})"
    r"(?![\w/:-])"
)
# A path followed by a query string, as in an access log's request line.
QUERY_STRING = re.compile(r"(/[^\s\"'?]*)\?[^\s\"']*")

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
QUERY_MASK = r"\1?[query removed]"


def mask(text: str) -> str:
    text = QUERY_STRING.sub(QUERY_MASK, text)
    text = EMAIL.sub(EMAIL_MASK, text)
    return PHONE.sub(PHONE_MASK, text)


class PersonalDataMaskingFilter(logging.Filter):
    """Rewrites the record's message with emails, phone numbers and query strings masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True
