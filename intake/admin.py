from django.contrib import admin

from intake.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["legal_last_name", "legal_first_name", "status", "prescriber", "therapist"]
    list_filter = ["status"]
    search_fields = ["legal_last_name", "legal_first_name", "preferred_name"]
    list_select_related = ["prescriber", "therapist"]
    readonly_fields = ["uuid", "created_at"]
