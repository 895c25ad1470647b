from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role

_SET_UP = [
    f"{action}_{model}"
    for model in ("organisation", "staffprofile", "professionallicence", "dearegistration")
    for action in ("view", "add", "change")
]


class ClinicConfig(RolePermissionsAppConfig):
    name = "kap_clinic.clinic"
    label = "clinic"
    verbose_name = "Clinic set-up"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    # Only clinic admins write the set-up; clinicians read their own credentials (checked in the
    # views, not by permission); front desk reads staff names and roles.
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.CLINIC_ADMIN: [*_SET_UP, "delete_professionallicence", "delete_dearegistration"],
    }

    def ready(self) -> None:
        super().ready()
        from kap_clinic.clinic import fhir, messaging, panels, sections  # noqa: F401  (panels register)

        messaging.register()
        sections.register()
        fhir.register()
