"""The set-up area's own sections and wizard steps: organisation and staff."""

from __future__ import annotations

from kap_clinic.clinic.registry import (
    SetupSection,
    WizardStep,
    setup_section_register,
    wizard_step_register,
)


def _organisation_done() -> bool:
    from kap_clinic.clinic.models import Organisation

    return Organisation.objects.exists()


def _staff_invited() -> bool:
    from kap_clinic.accounts.models import User
    from kap_clinic.accounts.roles import STAFF_ROLES

    return User.objects.filter(role__in=STAFF_ROLES, is_superuser=False).exists()


def register() -> None:
    setup_section_register(
        SetupSection(
            key="clinic.organisation",
            title="Organisation",
            description="Legal name, address, tax id, group NPI, time zone, logo and the crisis "
            "line patients see.",
            url_name="clinic:organisation_edit",
            order=10,
        )
    )
    setup_section_register(
        SetupSection(
            key="clinic.staff",
            title="Staff and credentials",
            description="Invite staff, change roles, deactivate accounts; NPIs, licences, DEA "
            "registrations and supervision.",
            url_name="clinic:staff_list",
            order=20,
        )
    )
    setup_section_register(
        SetupSection(
            key="accounts.staff_security",
            title="Staff sign-in security",
            description="Who has set up two-factor sign-in; reset a lost authenticator; revoke "
            "API tokens.",
            url_name="accounts:staff_security",
            order=25,
        )
    )
    setup_section_register(
        SetupSection(
            key="intake.retention",
            title="Record retention",
            description="Deactivated patients, records past the retention period, and purges "
            "confirmed by a second admin.",
            url_name="intake:retention",
            order=90,
        )
    )
    setup_section_register(
        SetupSection(
            key="records.requests",
            title="Record copies",
            description="Patients' requests for their record or a copy to another provider, "
            "with the 30-day due date.",
            url_name="records:request_list",
            order=92,
        )
    )
    setup_section_register(
        SetupSection(
            key="records.exports",
            title="Exports",
            description="FHIR bulk exports and the whole-clinic export (NDJSON).",
            url_name="records:export_list",
            order=94,
        )
    )
    wizard_step_register(
        WizardStep(
            key="clinic.organisation",
            title="Your organisation",
            url_name="clinic:organisation_edit",
            is_done=_organisation_done,
            order=10,
        )
    )
    wizard_step_register(
        WizardStep(
            key="clinic.staff",
            title="Invite your staff",
            url_name="clinic:staff_invite",
            is_done=_staff_invited,
            order=90,
        )
    )
