"""Set-up data for clinic admins (Django admin): locations, rooms, hours, protocols, policy."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sessions.models import (
    DosingPolicy,
    Location,
    OpeningHours,
    Protocol,
    Room,
    StaffTimeOff,
    StaffWorkingHours,
)


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_active"]
    inlines = [OpeningHoursInline, RoomInline]


@admin.register(StaffWorkingHours)
class StaffWorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["staff", "location", "weekday", "starts_at", "ends_at"]
    list_filter = ["location", "weekday"]
    list_select_related = ["staff", "location"]


@admin.register(StaffTimeOff)
class StaffTimeOffAdmin(admin.ModelAdmin):
    list_display = ["staff", "starts_at", "ends_at", "reason"]
    list_select_related = ["staff"]


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "route", "dose_rule", "dose_minimum", "dose_maximum", "is_active"]
    list_filter = ["route", "is_active"]
    filter_horizontal = ["articles"]


@admin.register(DosingPolicy)
class DosingPolicyAdmin(admin.ModelAdmin):
    """One row: it can be changed, never added twice or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DosingPolicy.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from sessions.controlled import admin as ledger_admin  # noqa: E402, F401  (read-only registrations)
