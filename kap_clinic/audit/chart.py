"""The patient chart's Access log: who opened this patient's chart, and when (clinic admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from kap_clinic.chart import chart_section_register
from kap_clinic.pagination import paginate


def _section(request: HttpRequest, patient: Any, user: User) -> dict[str, Any]:
    events = AuditEvent.objects.filter(
        object_type=patient._meta.label_lower, object_id=str(patient.uuid)
    ).select_related("actor")
    return paginate(request, events)


def register() -> None:
    chart_section_register(
        key="access",
        title="Access log",
        roles=frozenset({Role.CLINIC_ADMIN}),
        template="audit/chart/access.html",
        context=_section,
        order=100,
    )
