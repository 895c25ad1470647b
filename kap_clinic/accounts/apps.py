from typing import Any, ClassVar

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from kap_clinic.accounts.roles import Role, role_permissions_grant


class RolePermissionsAppConfig(AppConfig):
    """An app whose permissions are granted to roles after migrations: set ROLE_PERMISSIONS."""

    # Not a candidate for Django's automatic AppConfig choice; concrete configs set default = True.
    default = False
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {}

    def ready(self) -> None:
        if self.ROLE_PERMISSIONS:
            post_migrate.connect(
                self._grant_role_permissions,
                sender=self,
                dispatch_uid=f"{self.label}.role_permissions",
            )

    def _grant_role_permissions(self, sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
        # `flush` (between transactional tests) sends post_migrate without the migration state.
        from django.apps import apps as global_apps

        role_permissions_grant(
            apps or global_apps, app_label=self.label, grants=self.ROLE_PERMISSIONS
        )


class AccountsConfig(RolePermissionsAppConfig):
    name = "kap_clinic.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.CLINIC_ADMIN: ["add_user", "change_user", "view_user"],
    }

    def ready(self) -> None:
        super().ready()
        from kap_clinic.accounts import (
            lockout,  # noqa: F401  (audits failed sign-ins, lockouts)
            panels,  # noqa: F401  (registers landing panels)
        )
        from kap_clinic.accounts.mfa import middleware  # noqa: F401  (notes enrolment at sign-in)
        from kap_clinic.accounts.tokens import services  # noqa: F401  (revokes on password change)
