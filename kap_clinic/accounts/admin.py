from django.contrib import admin

from kap_clinic.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["uuid", "last_login", "date_joined", "password"]
    exclude = ["user_permissions"]
