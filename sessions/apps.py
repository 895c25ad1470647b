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

# Clinic admins set up safes, products and the count policy, read the ledger and resolve count
# discrepancies; they do not post movements.
_LEDGER_ADMIN = [
    *(
        f"{action}_{model}"
        for model in ("safe", "product", "ledgerpolicy")
        for action in ("view", "add", "change")
    ),
    "view_ledgerentry",
    "resolve_discrepancy",
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
        Role.CLINIC_ADMIN: [*_VIEW, *_SET_UP, *_SCHEDULE, "manage_billing", *_LEDGER_ADMIN],
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
            # The controlled-substance ledger; others by the "Controlled substances" group.
            "post_controlled_substance",
            "view_ledgerentry",
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
        from sessions.billing import chart as billing_chart
        from sessions.billing import sections as billing_sections
        from sessions.setup import sections as setup_sections

        reminders.register()
        digest.register()
        setup_sections.register()
        billing_sections.register()
        from django.db.models.signals import post_migrate

        from sessions.controlled import sections as ledger_sections
        from sessions.controlled.permissions import controlled_substances_group_grant

        ledger_sections.register()
        post_migrate.connect(
            controlled_substances_group_grant,
            sender=self,
            dispatch_uid="kap_sessions.controlled_substances_group",
        )
        billing_chart.register()
        from sessions.billing import messaging as billing_messaging

        billing_messaging.register()
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
        from sessions.rems import chart as rems_chart
        from sessions.rems import content as rems_content
        from sessions.rems import tasks as rems_tasks  # noqa: F401  (registers the task)

        rems_chart.register()
        rems_content.register()
