"""Read-only API of the set-up under /api/v1/: the same access rules as the pages.

``staff/``: clinic admins and front desk read names and roles. ``staff/<uuid>/credentials/``:
clinic admins read anyone's, staff read their own. Bad input answers 400 with a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import STAFF_ROLES, Role
from kap_clinic.api import ApiPagination
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.clinic.models import DeaRegistration, ProfessionalLicence
from kap_clinic.clinic.selectors import staff_list


class StaffSerializer(serializers.ModelSerializer[User]):
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["uuid", "full_name", "role", "role_label"]


class LicenceSerializer(serializers.ModelSerializer[ProfessionalLicence]):
    valid = serializers.SerializerMethodField()

    class Meta:
        model = ProfessionalLicence
        fields = ["uuid", "kind", "jurisdiction", "number", "issued_on", "expires_on", "valid"]

    def get_valid(self, credential: ProfessionalLicence) -> bool:
        return credential.is_valid_on(self.context["on"])


class DeaRegistrationSerializer(serializers.ModelSerializer[DeaRegistration]):
    schedules = serializers.ListField(source="schedule_list", child=serializers.CharField())
    valid = serializers.SerializerMethodField()

    class Meta:
        model = DeaRegistration
        fields = ["uuid", "jurisdiction", "number", "schedules", "issued_on", "expires_on", "valid"]

    def get_valid(self, credential: DeaRegistration) -> bool:
        return credential.is_valid_on(self.context["on"])


class StaffListFilter(serializers.Serializer[dict[str, Any]]):
    role = serializers.ChoiceField(
        choices=sorted(role.value for role in STAFF_ROLES), required=False
    )


class CredentialsFilter(serializers.Serializer[dict[str, Any]]):
    on = serializers.DateField(required=False, help_text="judge validity on this day (YYYY-MM-DD)")


def _staff_user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User) or user.role not in STAFF_ROLES:
        raise PermissionDenied("Staff only.")
    return user


class StaffPageSerializer(serializers.Serializer[dict[str, Any]]):
    """One page of staff, as the list answers (limit/offset pagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StaffSerializer(many=True)


class StaffListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("role", str, description="a staff role"),
            OpenApiParameter("limit", int, description="rows per page (at most 200)"),
            OpenApiParameter("offset", int, description="rows to skip"),
        ],
        responses=StaffPageSerializer,
    )
    def get(self, request: Request) -> Response:
        user = _staff_user(request)
        if user.role not in (Role.CLINIC_ADMIN, Role.FRONT_DESK):
            raise PermissionDenied("Only clinic admins and front desk list staff.")
        filters = StaffListFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name")
        if "role" in filters.validated_data:
            queryset = queryset.filter(role=filters.validated_data["role"])
        # The project's pagination: limit capped, offset bounded (never a 500 on overflow).
        paginator = ApiPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(StaffSerializer(page, many=True).data)


class StaffCredentialsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("on", date, description="judge validity on this day")],
        responses=None,
    )
    def get(self, request: Request, user_uuid: str) -> Response:
        user = _staff_user(request)
        filters = CredentialsFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        holder = staff_list().filter(uuid=user_uuid).first()
        if holder is None:
            raise Http404
        if user.role != Role.CLINIC_ADMIN and holder != user:
            raise PermissionDenied("Staff read their own credentials only.")
        on = filters.validated_data.get("on") or timezone.localdate()
        context = {"on": on}
        profile = getattr(holder, "staff_profile", None)
        audit_record(action=AuditAction.READ, request=request, obj=holder, detail="api credentials")
        return Response(
            {
                "staff": StaffSerializer(holder).data,
                "npi": profile.npi if profile else "",
                "supervision_status": profile.supervision_status if profile else "licensed",
                "supervisor": holder.supervisor.full_name if holder.supervisor else None,
                "on": on,
                "licences": LicenceSerializer(
                    holder.licences.all(), many=True, context=context
                ).data,
                "dea_registrations": DeaRegistrationSerializer(
                    holder.dea_registrations.all(), many=True, context=context
                ).data,
            }
        )


urlpatterns = [
    path("staff/", StaffListApi.as_view(), name="staff_list"),
    path(
        "staff/<uuid:user_uuid>/credentials/",
        StaffCredentialsApi.as_view(),
        name="staff_credentials",
    ),
]
