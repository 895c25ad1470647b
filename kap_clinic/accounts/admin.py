"""The admin's user and group pages (superusers only): every change is audited as its author.

Django's LogEntry is not the audit record; each save, delete and group change writes an audit row
in the admin's own transaction, naming the fields changed (never their values).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from kap_clinic.accounts.models import ApiToken, User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record


def _changed_fields(form: ModelForm[Any]) -> str:
    return ", ".join(sorted(form.changed_data)) or "nothing"


class AuditedAdminMixin:
    """Records the admin's creates, updates and deletes in the audit record."""

    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            request=request,
            obj=obj,
            detail=f"admin: changed {_changed_fields(form)}"[:300],
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit_record(action=AuditAction.DELETE, request=request, obj=obj, detail="admin: deleted")
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            audit_record(
                action=AuditAction.DELETE, request=request, obj=obj, detail="admin: deleted"
            )
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        if request.method == "GET":
            audit_record(
                action=AuditAction.READ,
                request=request,
                object_type=self.model._meta.label_lower,  # type: ignore[attr-defined]
                object_id=str(object_id),
                detail="admin: opened",
            )
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["uuid", "last_login", "date_joined", "password"]
    exclude = ["user_permissions"]

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            added = ", ".join(sorted(after - before)) or "none"
            removed = ", ".join(sorted(before - after)) or "none"
            audit_record(
                action=AuditAction.UPDATE,
                request=request,
                obj=user,
                detail=f"admin: groups added {added}; removed {removed}"[:300],
            )


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        group = form.instance
        before = set(group.permissions.values_list("codename", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(group.permissions.values_list("codename", flat=True))
        if before != after:
            audit_record(
                action=AuditAction.UPDATE,
                request=request,
                obj=group,
                detail=(
                    f"admin: permissions added {len(after - before)}, removed {len(before - after)}"
                ),
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
    readonly_fields = [field.name for field in ApiToken._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
