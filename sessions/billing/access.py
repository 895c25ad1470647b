"""Who sees which billing rows (the API's scoping; the pages apply the same rules):
billing staff (clinic admins and the billing permission) everything; a therapist or prescriber the
proposed and posted charges of their own sessions; a patient their own posted charges, payments
and account; anyone else nothing."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES, Role
from sessions.billing.models import Charge, ChargeStatus, Payment

MANAGE = "kap_sessions.manage_billing"


def is_billing_staff(user: User) -> bool:
    return user.is_authenticated and (user.is_clinic_admin or user.has_perm(MANAGE))


def own_sessions(user: User, *, appointment_path: str = "appointment__") -> Q:
    """The appointments a clinician sat or runs the course of (the charges page's rule)."""
    return (
        Q(**{f"{appointment_path}therapist": user})
        | Q(**{f"{appointment_path}medical_monitor": user})
        | Q(**{f"{appointment_path}course__prescriber": user})
        | Q(**{f"{appointment_path}course__therapist": user})
    )


def charges_visible_to(*, user: User) -> QuerySet[Charge]:
    charges = Charge.objects.all()
    if is_billing_staff(user):
        return charges
    if user.role in CLINICIAN_ROLES:
        return charges.filter(
            own_sessions(user), status__in=[ChargeStatus.PROPOSED, ChargeStatus.POSTED]
        )
    if user.role == Role.PATIENT:
        return charges.filter(patient__user=user, status=ChargeStatus.POSTED)
    return charges.none()


def payments_visible_to(*, user: User) -> QuerySet[Payment]:
    if is_billing_staff(user):
        return Payment.objects.all()
    if user.role == Role.PATIENT:
        return Payment.objects.filter(patient__user=user)
    return Payment.objects.none()


def accounts_visible_to(*, user: User) -> QuerySet[Patient]:
    """Patients whose account (balance, superbill) the user may see."""
    if is_billing_staff(user):
        return Patient.objects.filter(
            Exists(Charge.objects.filter(patient=OuterRef("pk"), status=ChargeStatus.POSTED))
            | Exists(Payment.objects.filter(patient=OuterRef("pk")))
        )
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()
