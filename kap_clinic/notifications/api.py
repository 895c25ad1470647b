"""REST API of the outbox: the signed-in user's inbox, and the staff message log (no message text),
with the same access rules as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from kap_clinic.notifications.models import Message
from kap_clinic.notifications.selectors import inbox_messages, messages_for_log


class InboxMessageSerializer(serializers.ModelSerializer[Message]):
    subject = serializers.CharField(source="rendered_subject", read_only=True)
    body = serializers.CharField(source="rendered_body", read_only=True)

    class Meta:
        model = Message
        fields = ["uuid", "subject", "body", "sent_at", "read_at"]
        read_only_fields = fields


class LoggedMessageSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = [
            "uuid",
            "recipient_kind",
            "recipient_id",
            "channel",
            "template_key",
            "status",
            "essential",
            "urgent",
            "attempts",
            "last_error",
            "send_at",
            "dispatched_at",
            "sent_at",
        ]
        read_only_fields = fields


class CanViewMessageLog(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.has_perm("notifications.view_message"))


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's portal messages; anyone else's answers 404."""

    serializer_class = InboxMessageSerializer
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Message]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no signed-in user
            return Message.objects.none()
        return inbox_messages(user=self.request.user)  # type: ignore[arg-type]

    @extend_schema(request=None, responses=InboxMessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = self.get_object()
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
        return Response(self.get_serializer(message).data)


class MessageLogViewSet(viewsets.ReadOnlyModelViewSet[Message]):
    """The message log for front desk and clinic admins: status and errors, never message text."""

    serializer_class = LoggedMessageSerializer
    permission_classes = [permissions.IsAuthenticated, CanViewMessageLog]
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Message]:
        params = self.request.query_params
        return messages_for_log(
            status=params.get("status", ""),
            recipient_kind=params.get("recipient_kind", ""),
            recipient_id=params.get("recipient_id", ""),
        )


router = SimpleRouter()
router.register("notifications/inbox", InboxViewSet, basename="notifications-inbox")
router.register("notifications/messages", MessageLogViewSet, basename="notifications-message")
