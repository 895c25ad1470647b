"""The audit hash chain: how a row's hash is made, how a row joins the chain, how it is checked.

Each row carries ``sequence`` (1, 2, 3... without gaps), ``previous_hash`` (the row before's
``row_hash``, or 64 zeros for the first) and ``row_hash``: SHA-256 over the row's canonical
content and ``previous_hash``. Changing a row breaks its hash; deleting one leaves a gap in the
sequence; deleting the last rows leaves the chain head ahead of the table. Appends are serialized
by the head row's lock (held until the caller's transaction ends), so two transactions never
chain onto the same previous row; on PostgreSQL an append is one statement.
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
# Any fixed 64-bit number: the key of the advisory lock taken when the chain head must be created.
CHAIN_LOCK_KEY = 7_311_917_604_422
CONTENT_FIELDS = (
    "uuid",
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "detail",
)
CHAINED_FIELDS = ("sequence", *CONTENT_FIELDS, "previous_hash")


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def row_content(values: dict[str, Any]) -> str:
    """The canonical JSON of a row's own content (ASCII only, so bytes are unambiguous)."""
    return json.dumps(
        [_canonical(values[field]) for field in CONTENT_FIELDS],
        separators=(",", ":"),
        ensure_ascii=True,
    )


def row_hash_compute(values: dict[str, Any]) -> str:
    """SHA-256 of "content|sequence|previous_hash" (``values`` keyed by field name)."""
    chained = f"{row_content(values)}|{values['sequence']}|{values['previous_hash']}"
    return hashlib.sha256(chained.encode()).hexdigest()


# One statement on PostgreSQL: lock the head row, number and hash the new row, insert it and
# move the head. The head's row lock serializes appends until the caller's transaction ends.
_APPEND_SQL = """
WITH head AS (
    SELECT last_sequence + 1 AS sequence, last_hash AS previous_hash
    FROM audit_auditchainhead WHERE id = 1 FOR UPDATE
), new AS (
    SELECT sequence, previous_hash,
        encode(sha256(convert_to(
            %(content)s || '|' || sequence::text || '|' || previous_hash, 'UTF8'
        )), 'hex') AS row_hash
    FROM head
), moved AS (
    UPDATE audit_auditchainhead SET last_sequence = new.sequence, last_hash = new.row_hash
    FROM new WHERE audit_auditchainhead.id = 1
)
INSERT INTO audit_auditevent (
    uuid, occurred_at, actor_id, action, object_type, object_id, ip_address, user_agent, detail,
    sequence, previous_hash, row_hash
)
SELECT %(uuid)s, %(occurred_at)s, %(actor_id)s, %(action)s, %(object_type)s, %(object_id)s,
    %(ip_address)s, %(user_agent)s, %(detail)s, sequence, previous_hash, row_hash
FROM new
RETURNING id, sequence, previous_hash, row_hash
"""


def _head_create() -> None:
    """Creates the chain head from the table (after a flush, or a database without it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    if AuditChainHead.objects.filter(pk=1).exists():
        return
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "row_hash").first()
    AuditChainHead.objects.create(
        pk=1,
        last_sequence=last["sequence"] if last else 0,
        last_hash=last["row_hash"] if last else GENESIS_HASH,
    )


def _append_postgresql(event: AuditEvent) -> bool:
    values = {field: getattr(event, field) for field in CONTENT_FIELDS}
    params = {**values, "uuid": str(event.uuid), "content": row_content(values)}
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk, event.sequence, event.previous_hash, event.row_hash = row
    event._state.adding = False
    event._state.db = connection.alias
    return True


def _append_portable(event: AuditEvent) -> None:
    head = AuditChainHead.objects.select_for_update().get(pk=1)
    event.sequence = head.last_sequence + 1
    event.previous_hash = head.last_hash
    event.row_hash = row_hash_compute({f: getattr(event, f) for f in CHAINED_FIELDS})
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(
        last_sequence=event.sequence, last_hash=event.row_hash
    )


def audit_event_append(**fields: Any) -> AuditEvent:
    """Inserts one audit row at the end of the chain. Use `audit_record`, which calls this."""
    event = AuditEvent(**fields)
    # One statement is atomic by itself: no savepoint on the common path.
    if connection.vendor == "postgresql" and _append_postgresql(event):
        return event
    with transaction.atomic():
        if not AuditChainHead.objects.filter(pk=1).exists():
            _head_create()
        if connection.vendor == "postgresql":
            if not _append_postgresql(event):
                raise RuntimeError("The audit chain head could not be created.")
        else:
            _append_portable(event)
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
