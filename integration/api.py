"""REST API of the integration app under /api/v1/: progress notes (never psychotherapy notes),
reflections shared with the therapist, and outcome scores; the same access as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from intake.models import InstrumentResponse
from integration.models import Note, NoteAddendum, Reflection
from integration.selectors import (
    notes_visible_to,
    reflections_of_patient_user,
    reflections_shared_with,
)
from kap_clinic.accounts.access import visible_to
from kap_clinic.accounts.roles import Role
from kap_clinic.api import ApiRouter
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record

OUTCOME_INSTRUMENTS = ("phq9", "gad7", "pcl5", "cssrs")


class NoteAddendumSerializer(serializers.ModelSerializer[NoteAddendum]):
    author = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = NoteAddendum
        fields = ["uuid", "author", "body", "signed_at", "content_hash"]


class NoteSerializer(serializers.ModelSerializer[Note]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    appointment = serializers.UUIDField(source="appointment.uuid", read_only=True)
    author = serializers.CharField(source="author.full_name", read_only=True)
    # preparation, dosing or integration (plain text: "kind" enums of other apps differ).
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    addenda = NoteAddendumSerializer(many=True, read_only=True)

    class Meta:
        model = Note
        fields = [
            "uuid",
            "patient",
            "appointment",
            "kind",
            "author",
            "body",
            "status",
            "signed_at",
            "content_hash",
            "cosigned_at",
            "addenda",
        ]


class ReflectionSerializer(serializers.ModelSerializer[Reflection]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    prompt = serializers.CharField(source="prompt.text", read_only=True, allow_null=True)

    class Meta:
        model = Reflection
        fields = ["uuid", "patient", "prompt", "text", "shared_with_therapist", "created_at"]


class OutcomeScoreSerializer(serializers.ModelSerializer[InstrumentResponse]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)

    class Meta:
        model = InstrumentResponse
        fields = ["uuid", "patient", "instrument_key", "total", "band_label", "recorded_at"]


class _AuditedReadOnly(viewsets.ReadOnlyModelViewSet):
    lookup_field = "uuid"
    audit_detail = ""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=self.audit_detail,
            detail=f"api {self.audit_detail} listed",
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        audit_record(
            action=AuditAction.READ,
            request=request,
            obj=instance,
            detail=f"api {self.audit_detail}",
        )
        return Response(self.get_serializer(instance).data)


class NoteViewSet(_AuditedReadOnly):
    """Progress notes for the therapist and prescriber of the care team."""

    serializer_class = NoteSerializer
    audit_detail = "integration.note"

    def get_queryset(self) -> QuerySet[Note]:
        return (
            notes_visible_to(user=self.request.user)  # type: ignore[arg-type]
            .prefetch_related("addenda__author")
            .order_by("-created_at")
        )


class SharedReflectionViewSet(_AuditedReadOnly):
    """A patient's own reflections; for a therapist, those shared with them."""

    serializer_class = ReflectionSerializer
    audit_detail = "integration.reflection"

    def get_queryset(self) -> QuerySet[Reflection]:
        user = self.request.user
        if getattr(user, "role", None) == Role.PATIENT:
            reflections = reflections_of_patient_user(user=user)  # type: ignore[arg-type]
        else:
            reflections = reflections_shared_with(user=user)  # type: ignore[arg-type]
        return reflections.select_related("patient", "prompt").order_by("-created_at")


class OutcomeScoreViewSet(_AuditedReadOnly):
    """Scores of PHQ-9, GAD-7, PCL-5 and C-SSRS: the patient's own, or their care team's."""

    serializer_class = OutcomeScoreSerializer
    audit_detail = "intake.instrumentresponse"

    def get_queryset(self) -> QuerySet[InstrumentResponse]:
        user = self.request.user
        role = getattr(user, "role", None)
        scores = InstrumentResponse.objects.select_related("patient").filter(
            instrument_key__in=OUTCOME_INSTRUMENTS
        )
        if role not in (Role.PATIENT, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN):
            return scores.none()
        return visible_to(scores, user=user, patient_path="patient__").order_by(  # type: ignore[arg-type]
            "-recorded_at"
        )


router = ApiRouter()
router.register("notes", NoteViewSet, basename="note")
router.register("shared-reflections", SharedReflectionViewSet, basename="shared-reflection")
router.register("outcome-scores", OutcomeScoreViewSet, basename="outcome-score")
urlpatterns = router.urls
