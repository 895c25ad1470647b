from typing import ClassVar

from kap_clinic.accounts.apps import RolePermissionsAppConfig
from kap_clinic.accounts.roles import Role

_VIEW = ["view_location", "view_room"]


class KapSessionsConfig(RolePermissionsAppConfig):
    # The directory and import path stay "sessions"; the label cannot, because
    # django.contrib.sessions owns it. Migrations and string references use "kap_sessions".
    name = "sessions"
    label = "kap_sessions"
    verbose_name = "Sessions"
    default_auto_field = "django.db.models.BigAutoField"
    default = True
    ROLE_PERMISSIONS: ClassVar[dict[Role, list[str]]] = {
        Role.CLINIC_ADMIN: [*_VIEW, "add_location", "change_location", "add_room", "change_room"],
        Role.FRONT_DESK: _VIEW,
        Role.THERAPIST: _VIEW,
        Role.PRESCRIBER: _VIEW,
    }
