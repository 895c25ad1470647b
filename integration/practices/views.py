"""Pages of practices: the clinician attaches a programme; the patient marks a practice done."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from integration.practices import services
from integration.practices.models import Practice, PracticeProgramme, ProgrammeAssignment
from kap_clinic.accounts.access import AuthenticatedRequest, get_visible_or_404, role_required
from kap_clinic.accounts.roles import Role
from sessions.models import Course


@require_POST
@role_required(Role.THERAPIST, Role.PRESCRIBER)
def course_programme_attach(request: AuthenticatedRequest, course_uuid: UUID) -> HttpResponse:
    course = get_visible_or_404(
        Course.objects.all(), user=request.user, patient_path="patient__", uuid=course_uuid
    )
    try:
        programme_uuid = UUID(request.POST.get("programme", ""))
    except ValueError:
        programme = None
    else:
        programme = PracticeProgramme.objects.filter(uuid=programme_uuid).first()
    try:
        starts_on = date.fromisoformat(request.POST.get("starts_on", ""))
    except ValueError:
        starts_on = None
    try:
        if programme is None:
            raise ValidationError("Choose a programme.")
        if starts_on is None:
            raise ValidationError("Enter the day the programme starts.")
        services.programme_attach(
            course=course,
            programme=programme,
            phase=request.POST.get("phase", ""),
            starts_on=starts_on,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Nothing was saved.")
    else:
        messages.success(request, f"{programme.name} attached.")
    return redirect("integration:course_integration", course_uuid=course.uuid)


@require_POST
@role_required(Role.PATIENT)
def practice_done(
    request: AuthenticatedRequest, assignment_uuid: UUID, practice_uuid: UUID
) -> HttpResponse:
    assignment = get_object_or_404(
        ProgrammeAssignment, uuid=assignment_uuid, course__patient__user=request.user
    )
    practice = get_object_or_404(Practice, uuid=practice_uuid)
    try:
        services.practice_complete(
            assignment=assignment, practice=practice, by=request.user, today=timezone.localdate()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Well done: {practice.title} marked done.")
    return redirect("accounts:home")
