"""Billing API under /api/v1/billing/: charges, payments and patients' accounts (balance and
superbill PDF), with the pages' access rules (sessions/billing/access.py). Writes go through the
billing services, which audit them; the views audit reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES, Role
from kap_clinic.api import ApiRouter
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.pdf import pdf_response
from sessions.billing import services
from sessions.billing.access import (
    accounts_visible_to,
    charges_visible_to,
    is_billing_staff,
    payments_visible_to,
)
from sessions.billing.models import (
    Charge,
    ChargeStatus,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    PostedChargeError,
)
from sessions.billing.selectors import superbill_for


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _refused(error: ValidationError | PostedChargeError) -> Response:
    """400 with the service's reason, and the field it concerns when it names one."""
    if isinstance(error, PostedChargeError):
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    body: dict[str, Any] = {"detail": " ".join(error.messages)}
    if hasattr(error, "error_dict"):
        body.update(error.message_dict)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _require_billing_staff(request: Request) -> None:
    if not is_billing_staff(_user(request)):
        raise PermissionDenied("Billing is for clinic admins and staff with the billing role.")


def _fake(view: Any) -> bool:
    return bool(getattr(view, "swagger_fake_view", False))  # schema generation


# ------------------------------------------------------------------------------------------------
# Charges


class ChargeSerializer(serializers.ModelSerializer[Charge]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    appointment = serializers.UUIDField(
        source="appointment.uuid", read_only=True, allow_null=True, default=None
    )
    code = serializers.CharField(source="code.code", read_only=True)
    description = serializers.CharField(source="code.description", read_only=True)
    rendering_provider = serializers.CharField(
        source="rendering_provider.full_name", read_only=True, allow_null=True, default=None
    )
    adjusts = serializers.UUIDField(
        source="adjusts.uuid", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Charge
        fields = [
            "uuid",
            "patient",
            "appointment",
            "code",
            "description",
            "modifiers",
            "place_of_service",
            "date_of_service",
            "rendering_provider",
            "units",
            "unit_fee",
            "discount_percent",
            "discount_reason",
            "amount",
            "adjusts",
            "reason",
            "basis",
            "status",
            "posted_at",
        ]
        read_only_fields = fields


class ChargeAdjustSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="Negative to reduce the charge, positive to add to it.",
    )
    reason = serializers.CharField(max_length=300)


class ChargeFilterSerializer(serializers.Serializer[Any]):
    patient = serializers.UUIDField(required=False)
    appointment = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=ChargeStatus.choices, required=False)


CHARGE_FILTERS = [
    OpenApiParameter("patient", OpenApiTypes.UUID, description="the patient's charges only"),
    OpenApiParameter("appointment", OpenApiTypes.UUID, description="one session's charges only"),
    OpenApiParameter("status", str, enum=ChargeStatus.values, description="proposed, posted..."),
]


class _AuditedReads(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    lookup_field = "uuid"
    object_type = ""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=self.object_type,
            detail=f"api list of {len(response.data.get('results', []))} {self.basename}s",
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        audit_record(
            action=AuditAction.READ, request=request, obj=instance, detail=f"api {self.basename}"
        )
        return Response(self.get_serializer(instance).data)


class ChargeViewSet(_AuditedReads):
    """Billing staff: every charge, and they post, adjust or discard them. Clinicians: the
    proposed and posted charges of their own sessions, read only. Patients: their posted ones."""

    serializer_class = ChargeSerializer
    object_type = "kap_sessions.charge"

    def get_queryset(self) -> QuerySet[Charge]:
        if _fake(self):
            return Charge.objects.none()
        user = _user(self.request)
        if not (is_billing_staff(user) or user.role in CLINICIAN_ROLES | {Role.PATIENT}):
            raise PermissionDenied("Billing is for clinic admins and staff with the billing role.")
        charges = charges_visible_to(user=user)
        if self.action == "list":
            filters = ChargeFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            wanted = filters.validated_data
            if "patient" in wanted:
                charges = charges.filter(patient__uuid=wanted["patient"])
            if "appointment" in wanted:
                charges = charges.filter(appointment__uuid=wanted["appointment"])
            if "status" in wanted:
                charges = charges.filter(status=wanted["status"])
        return charges.select_related(
            "patient", "appointment", "code", "rendering_provider", "adjusts"
        ).order_by("-date_of_service", "-id")

    @extend_schema(parameters=CHARGE_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _change(self, request: Request, change: Any) -> Response:
        charge = self.get_object()  # 404 first: nobody learns of a charge they cannot see
        _require_billing_staff(request)
        try:
            result = change(charge)
        except (ValidationError, PostedChargeError) as error:
            return _refused(error)
        return Response(ChargeSerializer(result).data)

    @extend_schema(request=None, responses={200: ChargeSerializer, 400: None})
    # Named apart from the HTTP verb: a viewset method called ``post`` would answer POST anywhere.
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_charge(self, request: Request, uuid: str | None = None) -> Response:
        """Posts a proposed charge; a posted one is never changed again (400)."""
        return self._change(
            request, lambda charge: services.charge_post(charge=charge, by=_user(request))
        )

    @extend_schema(request=None, responses={200: ChargeSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, uuid: str | None = None) -> Response:
        """Discards a proposed charge (a posted one is adjusted instead: 400)."""
        return self._change(
            request, lambda charge: services.charge_discard(charge=charge, by=_user(request))
        )

    @extend_schema(request=ChargeAdjustSerializer, responses={201: ChargeSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, uuid: str | None = None) -> Response:
        """Adjusts a posted charge with a new posted line and a reason (never an edit)."""
        charge = self.get_object()
        _require_billing_staff(request)
        data_in = ChargeAdjustSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            adjustment = services.charge_adjust(
                charge=charge,
                by=_user(request),
                amount=data_in.validated_data["amount"],
                reason=data_in.validated_data["reason"],
            )
        except ValidationError as error:
            return _refused(error)
        adjustment = Charge.objects.select_related(
            "patient", "appointment", "code", "rendering_provider", "adjusts"
        ).get(pk=adjustment.pk)
        return Response(ChargeSerializer(adjustment).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------------------------
# Payments


class AllocationSerializer(serializers.ModelSerializer[PaymentAllocation]):
    charge = serializers.UUIDField(source="charge.uuid", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["charge", "amount"]


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    refunds = serializers.UUIDField(
        source="refunds.uuid", read_only=True, allow_null=True, default=None
    )
    received_by = serializers.CharField(source="received_by.full_name", read_only=True)
    # "payment" or "refund" (plain text: other apps' "kind" enums differ).
    kind = serializers.CharField(read_only=True, help_text="payment or refund")
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "uuid",
            "patient",
            "kind",
            "method",
            "amount",
            "is_credit",
            "reference",
            "refunds",
            "received_at",
            "received_by",
            "allocations",
        ]
        read_only_fields = fields


class PaymentRecordSerializer(serializers.Serializer[Any]):
    patient = serializers.UUIDField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="Cheque number or terminal receipt number; never card data.",
    )
    is_credit = serializers.BooleanField(
        required=False, default=False, help_text="Keep an amount above the balance as credit."
    )


class RefundSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    reason = serializers.CharField(max_length=300)


class PaymentViewSet(_AuditedReads):
    """Billing staff: every payment; they record payments and refunds. Patients: their own."""

    serializer_class = PaymentSerializer
    object_type = "kap_sessions.payment"

    def get_queryset(self) -> QuerySet[Payment]:
        if _fake(self):
            return Payment.objects.none()
        user = _user(self.request)
        if not (is_billing_staff(user) or user.role == Role.PATIENT):
            raise PermissionDenied("Billing is for clinic admins and staff with the billing role.")
        return (
            payments_visible_to(user=user)
            .select_related("patient", "refunds", "received_by")
            .prefetch_related("allocations__charge")
            .order_by("-received_at", "-id")
        )

    def _payment_data(self, payment: Payment) -> dict[str, Any]:
        return dict(PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data)

    @extend_schema(request=PaymentRecordSerializer, responses={201: PaymentSerializer, 400: None})
    def create(self, request: Request) -> Response:
        """Records a payment, applied to the oldest charges; more than the balance is refused
        (400, with the reason) unless ``is_credit`` keeps the excess as credit."""
        _require_billing_staff(request)
        data_in = PaymentRecordSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        patient = Patient.objects.filter(uuid=data.pop("patient")).first()
        if patient is None:
            return Response(
                {"detail": "No such patient.", "patient": ["No such patient."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            payment = services.payment_record(by=_user(request), patient=patient, **data)
        except ValidationError as error:
            return _refused(error)
        return Response(self._payment_data(payment), status=status.HTTP_201_CREATED)

    @extend_schema(request=RefundSerializer, responses={201: PaymentSerializer, 400: None})
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, uuid: str | None = None) -> Response:
        """Refunds part or all of a payment (at most what is left of it)."""
        payment = self.get_object()
        _require_billing_staff(request)
        data_in = RefundSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            refund = services.refund_record(
                by=_user(request),
                payment=payment,
                amount=data_in.validated_data["amount"],
                reason=data_in.validated_data["reason"],
            )
        except ValidationError as error:
            return _refused(error)
        return Response(self._payment_data(refund), status=status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------------------------
# Accounts: balance and superbill


def _total(queryset: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.filter(patient=OuterRef("pk"))
            .order_by()
            .values("patient")
            .annotate(total=Sum("amount"))
            .values("total")
        ),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


class AccountSerializer(serializers.ModelSerializer[Patient]):
    balance = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Owed by the patient; negative when in credit.",
    )

    class Meta:
        model = Patient
        fields = ["uuid", "mrn", "legal_first_name", "legal_last_name", "balance"]
        read_only_fields = fields


class SuperbillPeriodSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class AccountViewSet(_AuditedReads):
    """A patient's balance and superbill: billing staff for every patient with charges or
    payments; a patient their own."""

    serializer_class = AccountSerializer
    object_type = "intake.patient"

    def get_queryset(self) -> QuerySet[Patient]:
        if _fake(self):
            return Patient.objects.none()
        user = _user(self.request)
        if not (is_billing_staff(user) or user.role == Role.PATIENT):
            raise PermissionDenied("Billing is for clinic admins and staff with the billing role.")
        charged = _total(Charge.objects.filter(status=ChargeStatus.POSTED))
        paid = _total(Payment.objects.filter(kind=PaymentKind.PAYMENT))
        refunded = _total(Payment.objects.filter(kind=PaymentKind.REFUND))
        return (
            accounts_visible_to(user=user)
            .annotate(balance=charged - paid + refunded)
            .order_by("legal_last_name", "legal_first_name", "id")
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The superbill answers a PDF whatever the client accepts, and its errors JSON: no 406.
        if self.action == "superbill":
            return (JSONRenderer(), JSONRenderer.media_type)
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="first date of service"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="last date of service"),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The superbill (PDF)."
            ),
            400: None,
        },
    )
    @action(detail=True, methods=["get"])
    def superbill(self, request: Request, uuid: str | None = None) -> HttpResponse:
        """The superbill of the patient's posted charges (optionally of one period) as a PDF;
        400 with the reason when the patient has no diagnosis or no posted charges."""
        patient = self.get_object()
        period = SuperbillPeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        start = period.validated_data.get("start")
        end = period.validated_data.get("end")
        if start and end and end < start:
            return Response(
                {"detail": "The last day comes on or after the first day."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            bill = superbill_for(patient=patient, start=start, end=end)
        except ValidationError as error:
            return _refused(error)
        audit_record(
            action=AuditAction.EXPORT, request=request, obj=patient, detail="api superbill PDF"
        )
        return pdf_response(
            request,
            "kap_sessions/pdf/superbill.html",
            {"bill": bill, "patient": patient},
            filename=f"superbill-{patient.mrn}.pdf",
        )


router = ApiRouter()
router.register("billing/charges", ChargeViewSet, basename="charge")
router.register("billing/payments", PaymentViewSet, basename="payment")
router.register("billing/accounts", AccountViewSet, basename="account")
urlpatterns = router.urls
