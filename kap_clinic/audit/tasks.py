"""The audit's periodic job: the daily check of the hash chain (beat, in kap_clinic/celery.py)."""

from __future__ import annotations

from celery import shared_task

from kap_clinic.audit.services import audit_chain_verify


@shared_task(name="audit.chain_verify", ignore_result=True)
def chain_verify() -> bool:
    """Daily: walk the audit chain and record the outcome for the admins' digest."""
    return audit_chain_verify().ok
