from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role


class NotificationsConfig(RolePermissionsAppConfig):
    name = "kap_clinic.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    # The message log shows template keys, status and errors, never message text: front desk may
    # read it and resend; only clinic admins write the preparation library.
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.FRONT_DESK: ["view_message", "resend_message"],
        Role.CLINIC_ADMIN: [
            "view_message",
            "resend_message",
            "view_article",
            "add_article",
            "change_article",
            "delete_article",
        ],
    }

    def ready(self) -> None:
        super().ready()
        from kap_clinic.notifications import chart, digest, panels  # noqa: F401  (panels)

        digest.register()
        chart.register()
