"""The sessions app's part of the set-up area: locations (with rooms, hours, certifications),
and the first-run wizard's location step; the expiry watch of site certifications."""

from __future__ import annotations

from datetime import date, timedelta

from kap_clinic.accounts.models import User
from kap_clinic.clinic.registry import (
    SetupSection,
    WizardStep,
    setup_section_register,
    wizard_step_register,
)
from kap_clinic.notifications.digest import DigestSection, digest_section_register


def _location_done() -> bool:
    from sessions.models import Location

    return Location.objects.exists()


def certifications_expiring(*, today: date, within_days: int) -> list[str]:
    """Site certifications expiring from ``today`` through ``today + within_days`` (and those
    expired in the past week, so a lapse is seen)."""
    from sessions.models import SiteCertification

    certifications = SiteCertification.objects.filter(
        expires_on__gte=today - timedelta(days=7),
        expires_on__lte=today + timedelta(days=within_days),
    ).select_related("location")
    return [
        f"{certification.location.name}: {certification.get_kind_display()} "
        f"{certification.number} {'expired' if certification.expires_on < today else 'expires'} "
        f"{certification.expires_on:%d %b %Y}"
        for certification in certifications.order_by("expires_on")
    ]


def _digest_items(user: User, day: date) -> list[str]:
    if not user.is_clinic_admin:
        return []
    from kap_clinic.clinic.selectors import expiry_warning_days

    return certifications_expiring(today=day, within_days=expiry_warning_days())


def register() -> None:
    setup_section_register(
        SetupSection(
            key="sessions.locations",
            title="Locations and rooms",
            description="Addresses, place of service, opening hours, rooms and site "
            "certifications such as the esketamine REMS healthcare-setting certification.",
            url_name="sessions:setup:location_list",
            order=30,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.protocols",
            title="Protocols",
            description="Drug, route, dose range, number and spacing of sessions, monitoring "
            "cadence and preparation reading of each treatment protocol.",
            url_name="sessions:setup:protocol_list",
            order=40,
        )
    )
    setup_section_register(
        SetupSection(
            key="sessions.dosing_policy",
            title="Dosing policy",
            description="Pre-dose blood pressure limits, fasting, driving advice, discharge "
            "margin and the times of after-dose messages.",
            url_name="sessions:setup:dosing_policy",
            order=50,
        )
    )
    wizard_step_register(
        WizardStep(
            key="sessions.location",
            title="Your first location and its rooms",
            url_name="sessions:setup:location_create",
            is_done=_location_done,
            order=20,
        )
    )
    digest_section_register(
        DigestSection(
            key="sessions.certifications_expiring",
            title="Site certifications expiring soon",
            items=_digest_items,
            order=81,
        )
    )
