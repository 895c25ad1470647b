"""The note page's session-times form: the author records when the session really began and
ended (on the appointment's day, in its location's zone) before signing."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from integration import views
from integration.session_times import note_session_times_set
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role


class SessionTimesForm(forms.Form):
    session_started_at = forms.TimeField(label="Session started")
    session_ended_at = forms.TimeField(label="Session ended")


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def note_session_times(request: AuthenticatedRequest, note_uuid: UUID) -> HttpResponse:
    note = views._note_or_404(request, note_uuid)
    form = SessionTimesForm(request.POST)
    if not form.is_valid():
        return views._note_page(
            request, note, error="Enter when the session started and ended (hh:mm).", status=400
        )
    appointment = note.appointment
    zone = ZoneInfo(appointment.location.time_zone)
    day = appointment.starts_at.astimezone(zone).date()
    try:
        note_session_times_set(
            note=note,
            by=request.user,
            started_at=datetime.combine(day, form.cleaned_data["session_started_at"], tzinfo=zone),
            ended_at=datetime.combine(day, form.cleaned_data["session_ended_at"], tzinfo=zone),
        )
    except ValidationError as error:
        return views._note_page(request, note, error=" ".join(error.messages), status=400)
    messages.success(request, "Session times saved.")
    return redirect("integration:note_detail", note_uuid=note.uuid)
