"""Who posts to the controlled-substance ledger: prescribers by role, and anyone a clinic admin
adds to the "Controlled substances" group (e.g. a nurse), the way billing's permission is a
grant a clinic can move."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig

from kap_clinic.accounts.models import User

CONTROLLED_SUBSTANCES_GROUP = "Controlled substances"
POST = "kap_sessions.post_controlled_substance"
RESOLVE = "kap_sessions.resolve_discrepancy"
READ = "kap_sessions.view_ledgerentry"
GROUP_PERMISSIONS = ["post_controlled_substance", "view_ledgerentry"]


def controlled_substances_group_grant(sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
    """post_migrate: the group exists and holds the posting permissions (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    app_config = apps.get_app_config("kap_sessions")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=CONTROLLED_SUBSTANCES_GROUP)
    group.permissions.add(
        *permission_model.objects.filter(
            content_type__app_label="kap_sessions", codename__in=GROUP_PERMISSIONS
        )
    )


def can_read_ledger(user: User) -> bool:
    return user.is_active and (user.has_perm(READ) or user.has_perm(POST))
