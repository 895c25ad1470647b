"""Django's admin is for superusers only, and only once they have passed the second factor.

Clinic admins manage staff through the app's own pages; the admin would let them grant themself
superuser, edit groups, change emails and reset passwords, so it is closed to them entirely.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class KapAdminSite(AdminSite):
    site_header = "KAP clinic administration"

    def has_permission(self, request: HttpRequest) -> bool:
        from kap_clinic.accounts.mfa.services import second_factor_verified

        user = request.user
        return bool(
            user.is_active
            and user.is_superuser
            and user.is_staff
            and second_factor_verified(request)
        )


class KapAdminConfig(AdminConfig):
    default_site = "kap_clinic.accounts.admin_site.KapAdminSite"
