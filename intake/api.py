"""REST API of the intake app under /api/v1/: the same access rules as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from intake.models import (
    ClinicalAssessment,
    Finding,
    InstrumentResponse,
    IntakeForm,
    MedicalAssessment,
    Patient,
)
from intake.selectors import (
    assessments_for,
    can_see_clinical,
    intake_for_review,
    patients_visible_to,
)
from kap_clinic.api import ApiRouter
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record


class PatientSerializer(serializers.ModelSerializer[Patient]):
    prescriber = serializers.CharField(
        source="prescriber.full_name", read_only=True, allow_null=True
    )
    therapist = serializers.CharField(source="therapist.full_name", read_only=True, allow_null=True)

    class Meta:
        model = Patient
        fields = [
            "uuid",
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "email",
            "mobile",
            "time_zone",
            "status",
            "prescriber",
            "therapist",
            "created_at",
        ]


class InstrumentResponseSerializer(serializers.ModelSerializer[InstrumentResponse]):
    class Meta:
        model = InstrumentResponse
        fields = ["instrument_key", "instrument_version", "total", "band", "band_label"]


class IntakeSerializer(serializers.ModelSerializer[IntakeForm]):
    scores = InstrumentResponseSerializer(source="responses", many=True, read_only=True)

    class Meta:
        model = IntakeForm
        fields = ["uuid", "version", "status", "started_at", "submitted_at", "scores"]


class EvidenceSerializer(serializers.Serializer[dict[str, str]]):
    question = serializers.CharField()
    answer = serializers.CharField()


class FindingSerializer(serializers.ModelSerializer[Finding]):
    evidence = EvidenceSerializer(many=True, read_only=True)
    overridden_by = serializers.CharField(
        source="overridden_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Finding
        fields = [
            "uuid",
            "severity",
            "code",
            "message",
            "evidence",
            "is_safety",
            "overridden_by",
            "override_reason",
        ]


class _AssessmentFields(serializers.Serializer[Any]):
    """What both assessments show besides their own findings: who, which intake version."""

    assessed_by = serializers.CharField(
        source="assessed_by.full_name", read_only=True, allow_null=True
    )
    intake_version = serializers.IntegerField(source="intake.version", read_only=True)


_ASSESSMENT_HEAD = ["uuid", "intake_version", "assessed_by"]
_ASSESSMENT_TAIL = ["decision", "reason", "exclude_override_reason", "created_at"]


class MedicalAssessmentSerializer(
    _AssessmentFields, serializers.ModelSerializer[MedicalAssessment]
):
    class Meta:
        model = MedicalAssessment
        fields = [
            *_ASSESSMENT_HEAD,
            "blood_pressure_systolic",
            "blood_pressure_diastolic",
            "heart_rate",
            "oxygen_saturation",
            "weight_kg",
            "history_review",
            *_ASSESSMENT_TAIL,
        ]


class ClinicalAssessmentSerializer(
    _AssessmentFields, serializers.ModelSerializer[ClinicalAssessment]
):
    class Meta:
        model = ClinicalAssessment
        fields = [*_ASSESSMENT_HEAD, "working_diagnoses", *_ASSESSMENT_TAIL]


class AssessmentsSerializer(serializers.Serializer[dict[str, Any]]):
    medical = MedicalAssessmentSerializer(many=True)
    clinical = ClinicalAssessmentSerializer(many=True)


class PatientViewSet(viewsets.ReadOnlyModelViewSet[Patient]):
    """Patients the user may see: their care team's, triage, or (for a patient) themself."""

    serializer_class = PatientSerializer
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Patient]:
        return patients_visible_to(user=self.request.user).order_by(  # type: ignore[arg-type]
            "legal_last_name", "legal_first_name", "id"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        audit_record(action=AuditAction.READ, request=request, obj=patient, detail="api patient")
        return Response(self.get_serializer(patient).data)

    def _clinical_patient(self) -> Patient:
        if not can_see_clinical(self.request.user):  # type: ignore[arg-type]
            raise PermissionDenied("Clinical content is for the care team.")
        return self.get_object()

    def _intake(self, patient: Patient) -> IntakeForm:
        try:
            return intake_for_review(user=self.request.user, patient=patient)  # type: ignore[arg-type]
        except Http404 as error:
            raise NotFound("This patient has no intake yet.") from error

    @extend_schema(responses=IntakeSerializer)
    @action(detail=True, methods=["get"])
    def intake(self, request: Request, uuid: str | None = None) -> Response:
        """The current intake's status and scores with their bands."""
        intake = self._intake(self._clinical_patient())
        audit_record(action=AuditAction.READ, request=request, obj=intake, detail="api intake")
        return Response(IntakeSerializer(intake).data)

    @extend_schema(responses=FindingSerializer(many=True))
    # A plain list, all of one intake's findings: not paginated (the schema said it was).
    @action(detail=True, methods=["get"], pagination_class=None)
    def findings(self, request: Request, uuid: str | None = None) -> Response:
        intake = self._intake(self._clinical_patient())
        audit_record(action=AuditAction.READ, request=request, obj=intake, detail="api findings")
        return Response(FindingSerializer(intake.findings.all(), many=True).data)

    @extend_schema(responses=AssessmentsSerializer)
    @action(detail=True, methods=["get"])
    def assessments(self, request: Request, uuid: str | None = None) -> Response:
        patient = self._clinical_patient()
        medical, clinical = assessments_for(patient=patient)
        audit_record(
            action=AuditAction.READ, request=request, obj=patient, detail="api assessments"
        )
        return Response(
            {
                "medical": MedicalAssessmentSerializer(medical, many=True).data,
                "clinical": ClinicalAssessmentSerializer(clinical, many=True).data,
            }
        )


router = ApiRouter()
router.register("patients", PatientViewSet, basename="patient")
urlpatterns = router.urls
