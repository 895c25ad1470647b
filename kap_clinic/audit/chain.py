"""The audit hash chain: how a row's hash is made, how a row joins the chain, how it is checked.

Each row carries ``sequence`` (1, 2, 3... without gaps), ``previous_hash`` (the row before's
``row_hash``, or 64 zeros for the first) and ``row_hash``: SHA-256 over the row's canonical
content and ``previous_hash``. Changing a row breaks its hash; deleting one leaves a gap in the
sequence; deleting the last rows leaves the chain head ahead of the table. Appends are serialized
(a PostgreSQL transaction-level advisory lock, then the head row), so two transactions never
chain onto the same previous row; the lock is held until the caller's transaction ends.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from kap_clinic.audit.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number: the key of the advisory lock that serializes chain appends.
CHAIN_LOCK_KEY = 7_311_917_604_422
CHAINED_FIELDS = (
    "sequence",
    "uuid",
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "detail",
    "previous_hash",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def row_hash_compute(values: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the chained fields (``values`` keyed by field name)."""
    content = json.dumps(
        [_canonical(values[field]) for field in CHAINED_FIELDS],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _head_locked() -> AuditChainHead:
    """The chain head, locked for this transaction (created from the table when missing)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "row_hash").first()
        head = AuditChainHead.objects.create(
            pk=1,
            last_sequence=last["sequence"] if last else 0,
            last_hash=last["row_hash"] if last else GENESIS_HASH,
        )
    return head


def audit_event_append(**fields: Any) -> AuditEvent:
    """Inserts one audit row at the end of the chain. Use `audit_record`, which calls this."""
    with transaction.atomic():
        head = _head_locked()
        event = AuditEvent(**fields)
        event.sequence = head.last_sequence + 1
        event.previous_hash = head.last_hash
        values = {field: getattr(event, field) for field in CHAINED_FIELDS}
        event.row_hash = row_hash_compute(values)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_sequence=event.sequence, last_hash=event.row_hash
        )
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows_checked: int
    problem: str = ""


def audit_chain_check(*, chunk_size: int = 2000) -> ChainReport:
    """Walks the whole chain in order; reports the first gap, changed row or missing tail."""
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0
    rows = AuditEvent.objects.order_by("sequence").values(*CHAINED_FIELDS, "row_hash")
    for row in rows.iterator(chunk_size=chunk_size):
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return ChainReport(
                False, checked, f"rows {expected_sequence} to {sequence - 1} are missing"
            )
        if row["previous_hash"] != previous_hash:
            return ChainReport(False, checked, f"row {sequence} does not follow the row before")
        if row_hash_compute(row) != row["row_hash"]:
            return ChainReport(False, checked, f"row {sequence} was changed")
        checked += 1
        previous_hash = row["row_hash"]
        expected_sequence += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence > checked:
        return ChainReport(
            False, checked, f"rows {checked + 1} to {head.last_sequence} are missing from the end"
        )
    if head is not None and (head.last_sequence, head.last_hash) != (checked, previous_hash):
        return ChainReport(False, checked, "the chain head does not match the last row")
    return ChainReport(True, checked)
