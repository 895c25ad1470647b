"""Reads of secure messages, scoped like the patient's record."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from intake.conversations.models import Thread, ThreadMessage
from intake.selectors import intake_visible_q
from kap_clinic.accounts.models import User


def threads_visible_to(*, user: User) -> QuerySet[Thread]:
    return Thread.objects.filter(intake_visible_q(user=user, patient_path="patient__"))


def thread_get(*, user: User, thread_uuid: object) -> Thread:
    """A thread the user may read (the patient, their care team, front desk, admins); else 404."""
    return get_object_or_404(
        threads_visible_to(user=user)
        .select_related("patient", "created_by")
        .prefetch_related(
            Prefetch("messages", queryset=ThreadMessage.objects.select_related("author"))
        ),
        uuid=thread_uuid,
    )
