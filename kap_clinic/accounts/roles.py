"""The roles of the platform and the permissions each holds.

A role is a Django group of the same name; the groups are created by a migration of this app.
Each app declares which of its own permissions each role holds (ROLE_PERMISSIONS in its apps.py)
and grants them with `role_permissions_grant` when migrations have run (post_migrate, the moment
Django itself creates permissions, and which `flush` repeats), so dependencies keep flowing one way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    FRONT_DESK = "front_desk", "Front desk"
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN})
CLINICIAN_ROLES = frozenset({Role.THERAPIST, Role.PRESCRIBER})


def create_role_groups(apps: Any, schema_editor: Any) -> None:
    """Migration step: one group per role."""
    group_model = apps.get_model("auth", "Group")
    for role in Role:
        group_model.objects.get_or_create(name=role.value)


def role_permissions_grant(
    apps: Any, *, app_label: str, grants: Mapping[Role, Iterable[str]]
) -> None:
    """Gives each role the named permissions (codenames) of one app; idempotent.

    Permissions are created here first, so the order of post_migrate receivers does not matter.
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    # Migration-state app configs carry no models module, which create_permissions requires.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module
    create_role_groups(apps, None)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group = group_model.objects.get(name=role.value)
        wanted = set(codenames)
        permissions = list(
            permission_model.objects.filter(content_type__app_label=app_label, codename__in=wanted)
        )
        missing = wanted - {permission.codename for permission in permissions}
        if missing:
            raise LookupError(f"{app_label} has no permissions {sorted(missing)}")
        group.permissions.add(*permissions)
