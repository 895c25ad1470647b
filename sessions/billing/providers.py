"""The payment-provider interface: today a console backend that only notes the payment (the card
is taken on a separate terminal), ready for a real provider later. Never logs patient data."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderResult:
    reference: str
    succeeded: bool
    message: str = ""


class PaymentProvider(Protocol):
    def charge(self, *, amount: Decimal, method: str, idempotency_key: str) -> ProviderResult: ...

    def refund(
        self, *, amount: Decimal, reference: str, idempotency_key: str
    ) -> ProviderResult: ...


class ConsoleProvider:
    """Records nothing outside the clinic: logs the amount and a generated reference only."""

    def charge(self, *, amount: Decimal, method: str, idempotency_key: str) -> ProviderResult:
        reference = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("console payment %s of %s by %s", reference, amount, method)
        return ProviderResult(reference=reference, succeeded=True)

    def refund(self, *, amount: Decimal, reference: str, idempotency_key: str) -> ProviderResult:
        refund_reference = f"console-refund-{uuid.uuid4().hex[:12]}"
        logger.info("console refund %s of %s", refund_reference, amount)
        return ProviderResult(reference=refund_reference, succeeded=True)


def payment_provider() -> PaymentProvider:
    path = getattr(
        settings, "BILLING_PAYMENT_PROVIDER", "sessions.billing.providers.ConsoleProvider"
    )
    provider: PaymentProvider = import_string(path)()
    return provider
