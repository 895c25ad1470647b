from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role

_VIEW = ["view_location", "view_room", "view_protocol", "view_appointment", "view_course"]
_SCHEDULE = ["add_appointment", "change_appointment", "add_course", "change_course"]
_SET_UP = [
    f"{action}_{model}"
    for model in (
        "location",
        "room",
        "openinghours",
        "staffworkinghours",
        "stafftimeoff",
        "protocol",
        "dosingpolicy",
        "sitecertification",
    )
    for action in ("view", "add", "change")
]


class KapSessionsConfig(RolePermissionsAppConfig):
    # The directory and import path stay "sessions"; the label cannot, because
    # django.contrib.sessions owns it. Migrations and string references use "kap_sessions".
    name = "sessions"
    label = "kap_sessions"
    verbose_name = "Sessions"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    # Set-up data is edited by clinic admins in the Django admin. Dosing records: prescribers see
    # and write all of it; therapists record monitoring; front desk sees status only.
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.CLINIC_ADMIN: [*_VIEW, *_SET_UP, *_SCHEDULE, "manage_billing"],
        # Billing is granted to front desk by default; a clinic can withdraw it.
        Role.FRONT_DESK: [*_VIEW, *_SCHEDULE, "manage_billing"],
        Role.THERAPIST: [*_VIEW, *_SCHEDULE, "view_dosingrecord", "record_monitoring"],
        Role.PRESCRIBER: [
            *_VIEW,
            *_SCHEDULE,
            "view_dosingrecord",
            "record_monitoring",
            "view_dose",
            "administer_dose",
        ],
    }

    def ready(self) -> None:
        super().ready()
        from sessions import (  # noqa: F401  (panels register on import)
            chart,
            digest,
            fhir,
            lifecycle,
            panels,
            reminders,
        )
        from sessions.billing import sections as billing_sections
        from sessions.setup import sections as setup_sections

        reminders.register()
        digest.register()
        setup_sections.register()
        billing_sections.register()
        from sessions.billing import panels as billing_panels

        billing_panels.register()
        chart.register()
        lifecycle.register()
        from sessions.monitoring import services as monitoring

        monitoring.register()
        from intake.audit_records import register as audit_records_register
        from sessions import models

        audit_records_register(
            [
                (models.Course, "patient", "Course"),
                (models.Appointment, "patient", "Appointment"),
                (models.Readiness, "appointment__patient", "Readiness checklist"),
                (models.DosingRecord, "appointment__patient", "Dosing record"),
            ]
        )
        fhir.register()
