"""Writes about users."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    supervisor: User | None = None,
) -> User:
    """Creates a user in one role; with no password the account cannot sign in until one is set."""
    user = User.objects.create_user(
        email,
        password,
        full_name=full_name,
        role=role,
        supervisor=supervisor,
        is_staff=role == Role.CLINIC_ADMIN,
    )
    user_role_set(user=user, role=role)
    return user


@transaction.atomic
def user_role_set(*, user: User, role: Role) -> User:
    """Moves a user into one role: the role field and the role's group change together."""
    user.role = role
    user.is_staff = role == Role.CLINIC_ADMIN
    user.save(update_fields=["role", "is_staff"])
    role_groups = Group.objects.filter(name__in=[choice.value for choice in Role])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    return user
