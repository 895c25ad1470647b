"""/healthz: the state of the database, the broker and the workers, as JSON.

The database is essential: without it the answer is 503. Broker or workers down leave the web
usable (bookings still succeed; their messages wait in the outbox), so the answer stays 200 with
status "degraded" for monitoring to act on.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kap_clinic.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
WORKER_PING_TIMEOUT_SECONDS = 1.0


def check_database() -> dict[str, Any]:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health: database unreachable: %s", type(error).__name__)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # kombu raises many kinds: any failure means unreachable
        logger.warning("health: broker unreachable: %s", type(error).__name__)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_workers() -> dict[str, Any]:
    try:
        replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS) or []
    except Exception as error:  # no broker, or a transport without broadcast
        logger.warning("health: worker ping failed: %s", type(error).__name__)
        return {"ok": False, "count": 0, "error": type(error).__name__}
    return {"ok": bool(replies), "count": len(replies)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    broker = check_broker()
    workers = check_workers() if broker["ok"] else {"ok": False, "count": 0}
    if not database["ok"]:
        status, code = "down", 503
    elif broker["ok"] and workers["ok"]:
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JsonResponse(
        {"status": status, "database": database, "broker": broker, "worker": workers},
        status=code,
    )
