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
        from intake import chart, digest, fhir, messaging, panels, setup  # noqa: F401

        messaging.register()
        setup.register()
        messaging.register_content()
        digest.register()
        chart.register()
        from intake.instruments import INSTRUMENTS

        # Read by the clinic_words template filter, which imports no app.
        self.instrument_names = {key: item.name for key, item in INSTRUMENTS.items()}
        from intake import audit_records

        audit_records.register_intake()
        fhir.register()
