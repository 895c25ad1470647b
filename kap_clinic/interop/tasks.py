"""Bulk export tasks: ids in, service call; acks late so a killed worker's job is redelivered."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from kap_clinic.interop.export import export_job_run, exports_expire


@shared_task(
    name="interop.export_job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def export_job_run_task(job_id: int) -> str:
    return export_job_run(job_id=job_id)


@shared_task(name="interop.exports_expire", ignore_result=True)
def exports_expire_task() -> int:
    return exports_expire()
