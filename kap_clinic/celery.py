"""The Celery application: serialization, reliability and the beat schedule, in one place."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init, worker_init
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kap_clinic.settings")

# The queues, in the order a worker takes them: urgent messages (safety alerts) first, then the
# outbox dispatcher and other periodic jobs, then ordinary messages, then bulk ones. A worker
# started without -Q consumes all four; docker-compose.yml and scripts/run.sh name them.
QUEUE_URGENT = "urgent"
QUEUE_DISPATCH = "dispatch"
QUEUE_DEFAULT = "default"
QUEUE_BULK = "bulk"
QUEUES = (QUEUE_URGENT, QUEUE_DISPATCH, QUEUE_DEFAULT, QUEUE_BULK)

app = Celery("kap_clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # JSON only: tasks carry ids, never pickled objects or patient data.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Acknowledge after the task ran, and hand the task back if its worker dies mid-way, so a
    # killed worker never loses a message; tasks are written to be safe to run twice. A worker
    # killed outright leaves its task unacknowledged in Redis until the visibility timeout
    # (settings: the claim timeout); the outbox dispatcher re-sends its row after the same time.
    # One task reserved per process, so an urgent task never waits behind prefetched ones.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # One direct exchange per queue, routed by the queue's own name.
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
    task_default_queue=QUEUE_DEFAULT,
    task_routes={
        "notifications.messages_dispatch": {"queue": QUEUE_DISPATCH},
        "notifications.daily_digests_queue": {"queue": QUEUE_DISPATCH},
        "integration.measures_plan_courses": {"queue": QUEUE_DISPATCH},
    },
    task_time_limit=120,
    task_soft_time_limit=90,
    result_expires=60 * 60 * 24,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    enable_utc=True,
    # Every periodic job of the platform is declared here, and only here.
    beat_schedule={
        # The outbox: claim due messages and enqueue one send each. Expires before the next run
        # so a backlog of dispatcher runs never piles up while the workers are away.
        "notifications-dispatch": {
            "task": "notifications.messages_dispatch",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # Clinicians' digests: queued once a day from 07:00 clinic time (the task checks the
        # clinic's zone, so daylight-saving changes need no second entry).
        "notifications-daily-digest": {
            "task": "notifications.daily_digests_queue",
            "schedule": crontab(minute="*/15"),
            "options": {"expires": 14 * 60},
        },
        # Outcome measures of running courses (integration): planned, or re-planned after
        # appointments moved, every hour; idempotent, so a run that repeats asks nothing twice.
        "integration-measures-plan": {
            "task": "integration.measures_plan_courses",
            "schedule": crontab(minute=5),
            "options": {"expires": 50 * 60},
        },
        # The clinic outcomes page's summary table (integration), recomputed every hour; a
        # course that completes is also recomputed at once.
        "integration-outcomes-refresh": {
            "task": "integration.outcomes_refresh",
            "schedule": crontab(minute=20),
            "options": {"expires": 50 * 60},
        },
        # The audit hash chain, checked once a day (03:30 UTC, before the 07:00 digests); the
        # outcome goes to the clinic admins' digest.
        "audit-chain-verify": {
            "task": "audit.chain_verify",
            "schedule": crontab(minute=30, hour=3),
            "options": {"expires": 6 * 60 * 60},
        },
        # Day-5 and day-7 reminders of unsubmitted esketamine REMS forms (each once; the task
        # reads each location's zone, so hourly runs catch the local day's change).
        "sessions-rems-reminders": {
            "task": "sessions.rems_reminders_send",
            "schedule": crontab(minute=40),
            "options": {"expires": 50 * 60},
        },
        # FHIR bulk export files past their policy lifetime are deleted (issue 18).
        "interop-exports-expire": {
            "task": "interop.exports_expire",
            "schedule": crontab(minute=20),
            "options": {"expires": 50 * 60},
        },
    },
)
app.autodiscover_tasks()


@app.task(name="kap_clinic.noop", ignore_result=True)
def noop() -> None:
    """Does nothing: `make bench` measures the worker's own ceiling with it."""


@app.task(name="kap_clinic.ping")
def ping() -> str:
    """Answers "pong": proves that a worker is consuming tasks (used by /healthz and the tests)."""
    return "pong"


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_backends(**kwargs: Any) -> None:
    from kap_clinic.startup import production_backends_check

    production_backends_check()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _mask_personal_data(logger: Any, **kwargs: Any) -> None:
    """Celery sets up its own log handlers: they mask personal data like Django's."""
    from kap_clinic.log_filters import PersonalDataMaskingFilter

    for handler in logger.handlers:
        handler.addFilter(PersonalDataMaskingFilter())
