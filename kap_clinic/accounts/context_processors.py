"""Navigation that fits the signed-in user's role."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from kap_clinic.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    url: str


_NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.PATIENT: [
        ("My portal", "accounts:portal"),
        ("Messages", "intake:my_threads"),
        ("Inbox", "notifications:inbox"),
        ("Reading", "notifications:library"),
        ("Reflections", "integration:reflection_list"),
        ("My record", "records:my_record"),
    ],
    Role.FRONT_DESK: [
        ("Front desk", "accounts:desk"),
        ("Patients", "intake:patient_list"),
        ("Calendar", "sessions:calendar"),
        ("Invite", "intake:patient_invite"),
        ("Requests", "intake:invitation_request_list"),
        ("Messages", "notifications:message_log"),
        ("Inbox", "notifications:inbox"),
        ("Staff", "clinic:staff_list"),
        ("Record copies", "records:request_list"),
    ],
    Role.THERAPIST: [
        ("My day", "accounts:clinician"),
        ("Patients", "intake:patient_list"),
        ("Calendar", "sessions:calendar"),
        ("Intake review", "intake:review_queue"),
        ("Outcomes", "integration:clinic_outcomes"),
        ("Inbox", "notifications:inbox"),
        ("My credentials", "clinic:my_credentials"),
    ],
    Role.PRESCRIBER: [
        ("My day", "accounts:clinician"),
        ("Patients", "intake:patient_list"),
        ("Calendar", "sessions:calendar"),
        ("Intake review", "intake:review_queue"),
        ("Outcomes", "integration:clinic_outcomes"),
        ("REMS", "sessions:rems_list"),
        ("Inbox", "notifications:inbox"),
        ("My credentials", "clinic:my_credentials"),
        ("Controlled substances", "sessions:ledger:index"),
    ],
    Role.CLINIC_ADMIN: [
        ("Clinic", "accounts:clinic_admin"),
        ("Patients", "intake:patient_list"),
        ("Calendar", "sessions:calendar"),
        ("Intake review", "intake:review_queue"),
        ("Outcomes", "integration:clinic_outcomes"),
        ("Messages", "notifications:message_log"),
        ("Library", "notifications:library"),
        ("Audit log", "audit:event_list"),
        # Staff security and record retention are reached from the set-up index (kept short so
        # the bar fits one line at 1280 px).
        ("Set-up", "clinic:index"),
    ],
}


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    items: list[NavItem] = []
    if user is not None and user.is_authenticated:
        items = [
            NavItem(label, url_name, reverse(url_name))
            for label, url_name in _NAVIGATION.get(Role(user.role), [])
        ]
    return {"nav_items": items, "clinic_name": settings.CLINIC_NAME}
