from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role


class IntegrationConfig(RolePermissionsAppConfig):
    name = "integration"
    verbose_name = "Integration"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    # Note templates and reflection prompts are the clinic's to edit (issue #6).
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.CLINIC_ADMIN: [
            "view_notetemplate",
            "add_notetemplate",
            "change_notetemplate",
            "view_reflectionprompt",
            "add_reflectionprompt",
            "change_reflectionprompt",
        ],
    }

    def ready(self) -> None:
        super().ready()
        from integration import fhir, measures, panels, setup  # noqa: F401  (panels register)

        measures.register_content()
        setup.register()
        fhir.register()
