"""Celery tasks of the REMS: thin, no arguments, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from sessions.rems.services import rems_reminders_send


@shared_task(
    name="sessions.rems_reminders_send",
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def rems_reminders_send_task() -> int:
    """Day-5 and day-7 reminders of unsubmitted REMS forms; each is queued once (the outbox's
    idempotency key), so a run that repeats sends nothing twice."""
    return rems_reminders_send()
