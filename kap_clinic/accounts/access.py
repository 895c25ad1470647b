"""Care-team access helpers: who may see which patient, for every view and API.

A patient is visible to its care team (assigned prescriber and therapist), to the clinic's front
desk and admins, and to the patient themself; and, for a limited time, to a clinician outside the
team who broke the glass in an emergency (`kap_clinic.audit.models.EmergencyAccess`). Records
that belong to a patient (an intake, an appointment) are scoped through the path to their
patient, e.g. ``patient_path="patient__"``. Anything not visible answers 404, never 403, so
existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import EmergencyAccess

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required: its user is one of ours."""

    user: User


def care_team_q(*, user: User, patient_path: str = "") -> Q:
    """The filter on patients (or on rows reached through ``patient_path``) visible to ``user``."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.PATIENT:
        return Q(**{f"{patient_path}user": user})
    if user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        return Q()
    if user.role in (Role.THERAPIST, Role.PRESCRIBER):
        return (
            Q(**{f"{patient_path}prescriber": user})
            | Q(**{f"{patient_path}therapist": user})
            | Q(**{f"{patient_path}uuid__in": emergency_access_patients(user=user)})
        )
    return Q(pk__in=[])


def emergency_access_patients(*, user: User) -> QuerySet[Any]:
    """UUIDs of the patients ``user`` holds running emergency access to (break the glass), as a
    subquery: no extra query per page."""
    return EmergencyAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values(
        "patient_uuid"
    )


def visible_to(queryset: QuerySet[M], *, user: User, patient_path: str = "") -> QuerySet[M]:
    return queryset.filter(care_team_q(user=user, patient_path=patient_path))


def get_visible_or_404(
    queryset: QuerySet[M], *, user: User, patient_path: str = "", **lookup: Any
) -> M:
    """The one row matching ``lookup`` that ``user`` may see, or 404."""
    return get_object_or_404(visible_to(queryset, user=user, patient_path=patient_path), **lookup)


def role_required(*roles: Role) -> Callable[[View], View]:
    """Signed-in users of the given roles only; others get 403 (anonymous users sign in first)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def permission_required(permission: str) -> Callable[[View], View]:
    """Signed-in users whose role grants ``permission``; others get 403."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
