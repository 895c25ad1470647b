"""Handing messages to the broker: which queue each goes to, and how many ids one task carries.

Tasks are sent by name, so the services and the dispatcher enqueue without importing tasks.py, and
tasks.py imports delivery.py: imports run one way (services, delivery -> enqueue; tasks ->
delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kap_clinic.celery import QUEUE_BULK, QUEUE_DEFAULT, QUEUE_URGENT
from kap_clinic.celery import app as celery_app
from kap_clinic.notifications.models import Message, MessageStatus

logger = logging.getLogger(__name__)

SEND_MANY_TASK = "notifications.messages_send"
# Ids per task: one for urgent messages (nothing waits behind another send), more for the others,
# so a worker opens one mail connection and one transaction for many messages.
CHUNK_SIZES = {QUEUE_URGENT: 1, QUEUE_DEFAULT: 20, QUEUE_BULK: 50}


def queue_for(*, urgent: bool, essential: bool) -> str:
    """Urgent messages (safety alerts) jump every queue; essential ones (appointments) go before
    bulk ones (preparation material, measures, digests)."""
    if urgent:
        return QUEUE_URGENT
    return QUEUE_DEFAULT if essential else QUEUE_BULK


def messages_enqueue(rows: Iterable[tuple[int, bool, bool]]) -> bool:
    """Enqueues sends for (id, urgent, essential) rows; False when the broker refused.

    The rows the broker did not take are made due again (``dispatched_at`` cleared) so the next
    dispatcher run takes them; no retry here against a broker that is down, since each attempt
    would wait out the connection timeout inside a web request or a dispatcher run.
    """
    by_queue: dict[str, list[int]] = {}
    for message_id, urgent, essential in rows:
        by_queue.setdefault(queue_for(urgent=urgent, essential=essential), []).append(message_id)
    chunks = [
        (queue, ids[start : start + CHUNK_SIZES[queue]])
        for queue in (QUEUE_URGENT, QUEUE_DEFAULT, QUEUE_BULK)
        if (ids := by_queue.get(queue))
        for start in range(0, len(ids), CHUNK_SIZES[queue])
    ]
    for position, (queue, ids) in enumerate(chunks):
        try:
            celery_app.send_task(SEND_MANY_TASK, args=(ids,), queue=queue, retry=False)
        except Exception:
            rest = [pk for _, chunk in chunks[position:] for pk in chunk]
            logger.warning("broker refused; %s messages will be dispatched again", len(rest))
            try:
                Message.objects.filter(id__in=rest, status=MessageStatus.QUEUED).update(
                    dispatched_at=None
                )
            except Exception:
                # The rows stay marked dispatched: the dispatcher's safety net takes them later.
                logger.warning("could not mark %s messages due again", len(rest))
            return False
    return True
