from typing import Any, ClassVar

from django.db.models.signals import post_migrate

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role


class AuditConfig(RolePermissionsAppConfig):
    name = "kap_clinic.audit"
    label = "audit"
    verbose_name = "Audit"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {Role.CLINIC_ADMIN: ["view_auditevent"]}

    def ready(self) -> None:
        super().ready()
        from kap_clinic.audit import chart, signals  # noqa: F401  (connects the sign-in receivers)

        chart.register()
        from kap_clinic.audit import digest, emergency  # noqa: F401  (sign-in receivers)

        digest.register()
        emergency.register()
        post_migrate.connect(_app_role_restrict, sender=self, dispatch_uid="audit_app_role")


def _app_role_restrict(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Every migrate re-applies the audit's least privilege (a role named after 0006 ran too)."""
    from django.conf import settings
    from django.db import connections

    from kap_clinic.audit.privileges import audit_privileges_restrict

    audit_privileges_restrict(connections[using], settings.DATABASE_APP_ROLE)
