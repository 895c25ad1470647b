"""API under /api/v1/: appointments, courses and dosing records; the pages' rules and access."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from intake.models import Patient
from intake.selectors import patients_visible_to
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.api import ApiRouter
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions import services
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    DoseAdministration,
    DosingRecord,
    Location,
    Observation,
    Protocol,
    Room,
    SedationDissociationEntry,
    VitalsEntry,
)
from sessions.selectors import (
    appointments_visible_to,
    course_cumulative_dose_mg,
    courses_visible_to,
    dosing_records_visible_to,
)


def _error_response(error: ValidationError) -> Response:
    code = (
        status.HTTP_409_CONFLICT
        if isinstance(error, services.BookingConflictError)
        else status.HTTP_400_BAD_REQUEST
    )
    return Response({"detail": " ".join(error.messages)}, status=code)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _require(request: Request, permission: str) -> None:
    if not _user(request).has_perm(permission):
        raise PermissionDenied("Your role may not do this.")


# ------------------------------------------------------------------------------------------------
# Appointments


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    course = serializers.SerializerMethodField()
    room = serializers.CharField(source="room.name", read_only=True)
    location = serializers.CharField(source="location.name", read_only=True)
    medical_monitor = serializers.CharField(
        source="medical_monitor.full_name", default=None, allow_null=True, read_only=True
    )
    therapist = serializers.CharField(
        source="therapist.full_name", default=None, allow_null=True, read_only=True
    )
    # Empty for sessions in a room: a plain string, since "" is no URI.
    telehealth_url = serializers.CharField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "uuid",
            "patient",
            "course",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "location",
            "room",
            "medical_monitor",
            "therapist",
            "telehealth_url",
            "cancel_reason",
        ]
        read_only_fields = fields

    def get_course(self, appointment: Appointment) -> str | None:
        return str(appointment.course.uuid) if appointment.course else None


class AppointmentBookSerializer(serializers.Serializer[Any]):
    patient = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    room = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    course = serializers.UUIDField(required=False, allow_null=True)
    medical_monitor = serializers.UUIDField(required=False, allow_null=True)
    therapist = serializers.UUIDField(required=False, allow_null=True)
    telehealth_url = serializers.URLField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="clinic admins only: why the booking is outside the schedule rules",
    )


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class AppointmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Appointment]
):
    serializer_class = AppointmentSerializer
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Appointment]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Appointment.objects.none()
        user = _user(self.request)
        appointments = appointments_visible_to(user=user)
        if user.role == Role.PATIENT:
            # Patients see their own upcoming sessions.
            appointments = appointments.filter(ends_at__gte=timezone.now()).exclude(
                status=AppointmentStatus.CANCELLED
            )
        zone = ZoneInfo(settings.TIME_ZONE)
        start = _parse_day(self.request.query_params.get("date_from"))
        end = _parse_day(self.request.query_params.get("date_to"))
        if start:
            appointments = appointments.filter(
                ends_at__gt=datetime.combine(start, time.min, tzinfo=zone)
            )
        if end:
            appointments = appointments.filter(
                starts_at__lt=datetime.combine(end, time.max, tzinfo=zone)
            )
        return appointments.order_by("starts_at", "id")

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, description="first day, YYYY-MM-DD"),
            OpenApiParameter("date_to", str, description="last day, YYYY-MM-DD"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AppointmentBookSerializer,
        responses={201: AppointmentSerializer, 400: None, 409: None},
    )
    def create(self, request: Request) -> Response:
        """Books one appointment: 409 when the slot is taken, 400 when a rule refuses it."""
        _require(request, "kap_sessions.add_appointment")
        data_in = AppointmentBookSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        user = _user(request)
        patient = get_object_or_404(patients_visible_to(user=user), uuid=data["patient"])
        room = get_object_or_404(Room.objects.select_related("location"), uuid=data["room"])
        course = (
            get_object_or_404(Course.objects.select_related("protocol"), uuid=data["course"])
            if data.get("course")
            else None
        )
        clinicians = {
            name: get_object_or_404(User, uuid=data[name]) if data.get(name) else None
            for name in ("medical_monitor", "therapist")
        }
        try:
            appointment = services.appointment_book(
                patient=patient,
                kind=data["kind"],
                room=room,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                course=course,
                telehealth_url=data.get("telehealth_url", ""),
                override_reason=data.get("override_reason", ""),
                schedule_rules=True,
                by=user,
                medical_monitor=clinicians["medical_monitor"],
                therapist=clinicians["therapist"],
            )
        except ValidationError as error:
            return _error_response(error)
        audit_record(action=AuditAction.CREATE, request=request, obj=appointment, detail="api")
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: AppointmentSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        _require(request, "kap_sessions.change_appointment")
        appointment = self.get_object()
        data_in = CancelSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            appointment = services.appointment_cancel(
                appointment=appointment, reason=data_in.validated_data["reason"], by=_user(request)
            )
        except ValidationError as error:
            return _error_response(error)
        audit_record(
            action=AuditAction.UPDATE, request=request, obj=appointment, detail="api cancel"
        )
        return Response(AppointmentSerializer(appointment).data)


# ------------------------------------------------------------------------------------------------
# Courses


class CourseSerializer(serializers.ModelSerializer[Course]):
    patient = serializers.SlugRelatedField(slug_field="uuid", queryset=Patient.objects.all())
    protocol = serializers.SlugRelatedField(slug_field="uuid", queryset=Protocol.objects.all())
    location = serializers.SlugRelatedField(slug_field="uuid", queryset=Location.objects.all())
    prescriber = serializers.SlugRelatedField(slug_field="uuid", queryset=User.objects.all())
    therapist = serializers.SlugRelatedField(slug_field="uuid", queryset=User.objects.all())
    # Null for readers who may not see doses (the course page hides it from them too).
    planned_dose = serializers.DecimalField(max_digits=7, decimal_places=3, allow_null=True)

    class Meta:
        model = Course
        fields = [
            "uuid",
            "patient",
            "protocol",
            "location",
            "prescriber",
            "therapist",
            "planned_dose",
            "start_date",
            "status",
        ]
        read_only_fields = ["uuid", "status"]

    def validate_planned_dose(self, value: Decimal | None) -> Decimal:
        if value is None:
            raise serializers.ValidationError("A course needs a planned dose.")
        return value

    def to_representation(self, instance: Course) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.has_perm("kap_sessions.view_dose"):
            data["planned_dose"] = None
        return data


class CourseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Course]
):
    serializer_class = CourseSerializer
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Course]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Course.objects.none()
        _require(self.request, "kap_sessions.view_course")
        return courses_visible_to(user=_user(self.request)).order_by("-start_date", "id")

    @extend_schema(responses={201: CourseSerializer, 400: None})
    def create(self, request: Request) -> Response:
        _require(request, "kap_sessions.add_course")
        data_in = CourseSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        get_object_or_404(patients_visible_to(user=_user(request)), id=data["patient"].id)
        try:
            course = services.course_create(by=_user(request), **data)
        except ValidationError as error:
            return _error_response(error)
        audit_record(action=AuditAction.CREATE, request=request, obj=course, detail="api")
        return Response(
            CourseSerializer(course, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# ------------------------------------------------------------------------------------------------
# Dosing records


class DoseSerializer(serializers.ModelSerializer[DoseAdministration]):
    given_by = serializers.CharField(source="given_by.full_name")

    class Meta:
        model = DoseAdministration
        fields = [
            "uuid",
            "drug",
            "route",
            "dose_mg",
            "dose_mg_per_kg",
            "weight_kg",
            "lot_number",
            "started_at",
            "ended_at",
            "given_by",
            "waste_mg",
        ]


class VitalsSerializer(serializers.ModelSerializer[VitalsEntry]):
    class Meta:
        model = VitalsEntry
        fields = [
            "taken_at",
            "blood_pressure_systolic",
            "blood_pressure_diastolic",
            "heart_rate",
            "spo2",
            "respiratory_rate",
        ]


class ScoresSerializer(serializers.ModelSerializer[SedationDissociationEntry]):
    class Meta:
        model = SedationDissociationEntry
        fields = ["taken_at", "moaas", "cadss6_total"]


class ObservationSerializer(serializers.ModelSerializer[Observation]):
    class Meta:
        model = Observation
        fields = ["observed_at", "text"]


class MonitoringRecordSerializer(serializers.ModelSerializer[DosingRecord]):
    """What a therapist sees: monitoring and observations, not doses."""

    appointment = serializers.UUIDField(source="appointment.uuid")
    vitals = VitalsSerializer(many=True)
    scores = ScoresSerializer(many=True)
    observations = ObservationSerializer(many=True)

    class Meta:
        model = DosingRecord
        fields = [
            "uuid",
            "appointment",
            "status",
            "started_at",
            "discharged_at",
            "vitals",
            "scores",
            "observations",
        ]


class DosingRecordSerializer(MonitoringRecordSerializer):
    """What a prescriber sees: the whole record."""

    doses = DoseSerializer(many=True)
    course_cumulative_dose_mg = serializers.SerializerMethodField()

    class Meta(MonitoringRecordSerializer.Meta):
        fields = [
            *MonitoringRecordSerializer.Meta.fields,
            "doses",
            "course_cumulative_dose_mg",
            "ready_to_leave_at",
            "summary",
        ]

    def get_course_cumulative_dose_mg(self, record: DosingRecord) -> float:
        if hasattr(record, "course_total_mg"):  # annotated by the viewset's queryset
            return float(record.course_total_mg or 0)
        return course_cumulative_dose_mg(record.course)


class DosingRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DosingRecord]
):
    lookup_field = "uuid"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[DosingRecord]]:
        if _user(self.request).has_perm("kap_sessions.view_dose"):
            return DosingRecordSerializer
        return MonitoringRecordSerializer

    def get_queryset(self) -> QuerySet[DosingRecord]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return DosingRecord.objects.none()
        _require(self.request, "kap_sessions.view_dosingrecord")
        course_total = (
            DoseAdministration.objects.filter(
                dosing_record__appointment__course=OuterRef("appointment__course")
            )
            .order_by()
            .values("dosing_record__appointment__course")
            .annotate(total=Sum("dose_mg"))
            .values("total")
        )
        return (
            dosing_records_visible_to(user=_user(self.request))
            .select_related("appointment__course")
            .prefetch_related("vitals", "scores", "observations", "doses__given_by")
            .annotate(course_total_mg=Subquery(course_total))
            .order_by("-arrived_at", "id")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type="kap_sessions.dosingrecord",
            detail=f"api list of {len(response.data.get('results', []))} dosing records",
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        audit_record(action=AuditAction.READ, request=request, obj=record, detail="api")
        return Response(self.get_serializer(record).data)


router = ApiRouter()
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("courses", CourseViewSet, basename="course")
router.register("dosing-records", DosingRecordViewSet, basename="dosing-record")
urlpatterns = router.urls
