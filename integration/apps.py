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
            "view_measureschedule",
            "add_measureschedule",
            "change_measureschedule",
            "delete_measureschedule",
            "view_outcomedefinition",
            "change_outcomedefinition",
            "view_outcomepolicy",
            "change_outcomepolicy",
            "view_practiceprogramme",
            "add_practiceprogramme",
            "change_practiceprogramme",
            "view_practice",
            "add_practice",
            "change_practice",
            "delete_practice",
        ],
    }

    def ready(self) -> None:
        super().ready()
        from integration import chart, fhir, measures, panels, setup  # noqa: F401  (panels on import)

        measures.register_content()
        from integration import session_times

        session_times.register()  # psychotherapy minutes for billing, from the signed note
        setup.register()
        panels.register_digest()
        chart.register()

        from integration.tasks import outcomes_refresh_task
        from sessions.services import course_completed_register

        def _refresh(course_id: int) -> None:
            outcomes_refresh_task.delay(course_id)

        course_completed_register(_refresh)
        from intake.audit_records import register as audit_records_register
        from integration import models

        audit_records_register(
            [
                (models.Note, "patient", "Note"),
                (models.PsychotherapyNote, "patient", "Psychotherapy note"),
                (models.Reflection, "patient", "Reflection"),
                (models.MeasureRequest, "patient", "Outcome measure"),
            ]
        )
        fhir.register()
        from integration.supervision import hooks as supervision_hooks

        supervision_hooks.register()
