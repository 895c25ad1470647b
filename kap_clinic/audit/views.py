from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kap_clinic.accounts.access import permission_required
from kap_clinic.audit.describe import audit_events_describe
from kap_clinic.audit.selectors import audit_events_recent
from kap_clinic.pagination import paginate


@permission_required("audit.view_auditevent")
def event_list(request: HttpRequest) -> HttpResponse:
    object_id = request.GET.get("object_id", "").strip()[:64]
    actor_email = request.GET.get("actor", "").strip()[:254]
    events = audit_events_recent(object_id=object_id, actor_email=actor_email)
    page = paginate(request, events)
    return render(
        request,
        "audit/event_list.html",
        {
            "object_id": object_id,
            "actor": actor_email,
            "rows": audit_events_describe(page["page"].object_list),
            **page,
        },
    )
