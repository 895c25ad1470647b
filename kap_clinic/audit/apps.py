from typing import ClassVar

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
