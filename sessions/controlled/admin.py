"""The ledger in the Django admin: read-only. Entries are posted by the services only and are
never changed or deleted (the database refuses it too); reads are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kap_clinic.accounts.admin import AuditedAdminMixin
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.controlled.models import Incident, LedgerEntry, StockCount, StockLot


class _ReadOnlyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=self.model._meta.label_lower,
            detail="admin: ledger list",
        )
        return super().changelist_view(request, extra_context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnlyAdmin):
    list_display = ["recorded_at", "kind", "stock_lot", "quantity", "balance_after", "recorded_by"]
    list_filter = ["kind"]
    list_select_related = ["stock_lot__product", "stock_lot__safe__location", "recorded_by"]


@admin.register(StockLot)
class StockLotAdmin(_ReadOnlyAdmin):
    list_display = ["product", "lot_number", "safe", "expires_on", "balance"]
    list_select_related = ["product", "safe__location"]


@admin.register(StockCount)
class StockCountAdmin(_ReadOnlyAdmin):
    list_display = ["counted_at", "kind", "safe", "counted_by"]
    list_select_related = ["safe__location", "counted_by"]


@admin.register(Incident)
class IncidentAdmin(_ReadOnlyAdmin):
    list_display = ["opened_at", "stock_lot", "resolved_at", "resolved_by"]
    list_select_related = ["stock_lot__product", "stock_lot__safe__location", "resolved_by"]
