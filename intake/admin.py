from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from intake.models import ClinicPolicy, ConsentDocument, Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["legal_last_name", "legal_first_name", "status", "prescriber", "therapist"]
    list_filter = ["status"]
    search_fields = ["legal_last_name", "legal_first_name", "preferred_name"]
    list_select_related = ["prescriber", "therapist"]
    readonly_fields = ["uuid", "created_at"]


@admin.register(ClinicPolicy)
class ClinicPolicyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ClinicPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    """Consent text is versioned: a published version is never edited; add the next version."""

    list_display = ["kind", "version", "title", "published_at"]
    list_filter = ["kind"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:
            return ["kind", "version", "title", "text", "published_at"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
