"""Why a send did not happen: permanent errors fail the message at once, transient ones retry.

Error messages end up in ``Message.last_error``, which staff read in the message log: they name
the reason (a missing template variable, an invalid address), never the address or any content.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A send that did not happen, with a reason staff may read."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (bad template, unknown channel, invalid address, recipient gone)."""


class TransientDeliveryError(DeliveryError):
    """Retrying may help (the mail server or SMS gateway is down or busy)."""
