from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role

_DEMOGRAPHICS = ["view_patient", "add_patient", "change_patient"]
_CLINICAL = ["view_clinical_record"]


class IntakeConfig(RolePermissionsAppConfig):
    name = "intake"
    verbose_name = "Intake"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    # Front desk handles demographics only; clinical content needs view_clinical_record.
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.FRONT_DESK: _DEMOGRAPHICS,
        Role.THERAPIST: [*_DEMOGRAPHICS, *_CLINICAL],
        Role.PRESCRIBER: [*_DEMOGRAPHICS, *_CLINICAL],
        Role.CLINIC_ADMIN: [*_DEMOGRAPHICS, *_CLINICAL, "change_clinicpolicy"],
    }

    def ready(self) -> None:
        super().ready()
        from intake import digest, fhir, messaging, panels, setup  # noqa: F401  (panels register)

        messaging.register()
        setup.register()
        messaging.register_content()
        digest.register()
        fhir.register()
