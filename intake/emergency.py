"""Break the glass (pages): a clinician outside a patient's care team states the emergency and
gets time-limited access to the chart; the grant itself lives in `kap_clinic.audit.emergency`."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from intake.models import Patient
from intake.selectors import intake_visible_q
from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.emergency import REASON_MIN_LENGTH, emergency_access_grant


class EmergencyAccessForm(forms.Form):
    reason = forms.CharField(
        label="The emergency (why you need this chart now)",
        min_length=REASON_MIN_LENGTH,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@role_required(Role.THERAPIST, Role.PRESCRIBER)
def emergency_access(request: AuthenticatedRequest, patient_uuid: UUID) -> HttpResponse:
    patient = get_object_or_404(
        Patient.objects.select_related("prescriber", "therapist"), uuid=patient_uuid
    )
    if Patient.objects.filter(intake_visible_q(user=request.user), pk=patient.pk).exists():
        return redirect("intake:patient_detail", patient_uuid=patient.uuid)
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            emergency_access_grant(
                user=request.user,
                patient_uuid=patient.uuid,
                reason=form.cleaned_data["reason"],
                care_team=[m for m in (patient.prescriber, patient.therapist) if m is not None],
                review_path=reverse("intake:patient_access_report", args=[patient.uuid]),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("intake:patient_detail", patient_uuid=patient.uuid)
    return render(
        request,
        "intake/emergency_access.html",
        {"patient": patient, "form": form, "minutes": settings.EMERGENCY_ACCESS_MINUTES},
        status=400 if form.errors else 200,
    )
