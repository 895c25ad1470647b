"""The set-up area: organisation, staff and their credentials, and the first-run wizard.

Who may do what: clinic admins read and write everything here; a clinician (or any staff member)
reads their own credentials; front desk reads staff names and roles; patients get 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import STAFF_ROLES, Role
from kap_clinic.clinic import selectors, services
from kap_clinic.clinic.forms import (
    DeaRegistrationForm,
    EmailChangeForm,
    InvitationAcceptForm,
    LicenceForm,
    OrganisationForm,
    StaffInviteForm,
    StaffProfileForm,
    StaffRoleForm,
)
from kap_clinic.clinic.models import DeaRegistration, ProfessionalLicence, StaffProfile
from kap_clinic.clinic.registry import setup_sections, wizard_steps

ALL_STAFF = tuple(STAFF_ROLES)


def _setup_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and (user.role == Role.CLINIC_ADMIN or user.is_superuser))


def admin_required(view: Any) -> Any:
    """Clinic admins (and superusers, for the first-run wizard) only; others 403."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _setup_admin(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _in_wizard(request: HttpRequest) -> bool:
    return request.GET.get("wizard") == "1"


def _after_save(request: HttpRequest, default: str) -> HttpResponse:
    return redirect("clinic:wizard" if _in_wizard(request) else default)


# --- index and wizard -----------------------------------------------------------------------------


@admin_required
def setup_index(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "clinic/setup_index.html",
        {"sections": setup_sections(), "organisation": selectors.organisation_get()},
    )


@admin_required
def wizard(request: AuthenticatedRequest) -> HttpResponse:
    """The first-run checklist: each step's state, and the next step to do."""
    steps = [(step, step.is_done()) for step in wizard_steps()]
    next_step = next((step for step, done in steps if not done), None)
    return render(
        request,
        "clinic/wizard.html",
        {
            "steps": [
                {"title": step.title, "url": f"{reverse(step.url_name)}?wizard=1", "done": done}
                for step, done in steps
            ],
            "next_url": f"{reverse(next_step.url_name)}?wizard=1" if next_step else "",
        },
    )


# --- organisation ---------------------------------------------------------------------------------


@admin_required
def organisation_edit(request: AuthenticatedRequest) -> HttpResponse:
    organisation = selectors.organisation_get()
    form = OrganisationForm(
        request.POST or None,
        request.FILES or None,
        instance=organisation,
        submit_label="Save and continue" if _in_wizard(request) else "Save organisation",
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.organisation_save(by=request.user, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Organisation saved.")
            return _after_save(request, "clinic:organisation_edit")
    return render(
        request,
        "clinic/organisation_form.html",
        {"form": form, "organisation": organisation, "in_wizard": _in_wizard(request)},
    )


@admin_required
def organisation_logo(request: AuthenticatedRequest) -> HttpResponseBase:
    organisation = selectors.organisation_get()
    if organisation is None or not organisation.logo:
        raise Http404
    return FileResponse(organisation.logo.open("rb"))


# --- staff ----------------------------------------------------------------------------------------


def _credential_rows(user: User, today: date) -> dict[str, Any]:
    licences = list(user.licences.all())
    registrations = list(user.dea_registrations.all())
    expired = [item for item in [*licences, *registrations] if item.expires_on < today]
    current = {
        (type(item), item.jurisdiction)
        for item in [*licences, *registrations]
        if item.is_valid_on(today)
    }
    lapsed = [item for item in expired if (type(item), item.jurisdiction) not in current]
    profile = getattr(user, "staff_profile", None)
    return {
        "user": user,
        "licences": licences,
        "registrations": registrations,
        "has_expired": bool(lapsed),
        "npi": profile.npi if profile else "",
        "supervision": profile.get_supervision_status_display() if profile else "",
        "invited": not user.has_usable_password(),
    }


@role_required(Role.CLINIC_ADMIN, Role.FRONT_DESK)
def staff_list(request: AuthenticatedRequest) -> HttpResponse:
    """Clinic admins see credentials; front desk sees names and roles only."""
    today = timezone.localdate()
    is_admin = request.user.role == Role.CLINIC_ADMIN
    staff = selectors.staff_list()
    if not is_admin:
        staff = staff.filter(is_active=True)
    rows = [_credential_rows(user, today) for user in staff]
    return render(
        request, "clinic/staff_list.html", {"rows": rows, "is_admin": is_admin, "today": today}
    )


def _staff_visible(request: AuthenticatedRequest, user_uuid: UUID) -> User:
    """A staff member's page: clinic admins see anyone's; others only their own (403)."""
    user = get_object_or_404(selectors.staff_list(), uuid=user_uuid)
    if request.user.role != Role.CLINIC_ADMIN and user != request.user:
        raise PermissionDenied
    return user


def _staff_for_admin(user_uuid: UUID) -> User:
    return get_object_or_404(User.objects.filter(role__in=STAFF_ROLES), uuid=user_uuid)


@role_required(*ALL_STAFF)
def staff_detail(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    user = _staff_visible(request, user_uuid)
    is_admin = request.user.role == Role.CLINIC_ADMIN
    return render(
        request,
        "clinic/staff_detail.html",
        {
            "row": _credential_rows(user, timezone.localdate()),
            "is_admin": is_admin,
            "is_self": user == request.user,
            "role_form": StaffRoleForm(initial={"role": user.role}) if is_admin else None,
            "today": timezone.localdate(),
            "warning_days": selectors.expiry_warning_days(),
        },
    )


@role_required(*ALL_STAFF)
def my_credentials(request: AuthenticatedRequest) -> HttpResponse:
    return redirect("clinic:staff_detail", user_uuid=request.user.uuid)


@admin_required
def staff_invite(request: AuthenticatedRequest) -> HttpResponse:
    form = StaffInviteForm(
        request.POST or None,
        submit_label="Send invitation",
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.staff_invite(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role(form.cleaned_data["role"]),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Invitation sent to {invitation.user.email}. It lasts 7 days."
            )
            if _in_wizard(request):
                return redirect(f"{reverse('clinic:staff_invite')}?wizard=1")
            return redirect("clinic:staff_detail", user_uuid=invitation.user.uuid)
    invited = selectors.staff_list().filter(is_superuser=False) if _in_wizard(request) else []
    return render(
        request,
        "clinic/staff_invite.html",
        {"form": form, "in_wizard": _in_wizard(request), "invited": invited},
    )


def _staff_action(
    request: AuthenticatedRequest, user_uuid: UUID, action: Any, done: str
) -> HttpResponse:
    user = _staff_for_admin(user_uuid)
    try:
        action(user=user, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("clinic:staff_detail", user_uuid=user.uuid)


@require_POST
@admin_required
def staff_deactivate(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    return _staff_action(request, user_uuid, services.staff_deactivate, "Account deactivated.")


@require_POST
@admin_required
def staff_reactivate(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    return _staff_action(request, user_uuid, services.staff_reactivate, "Account reactivated.")


@require_POST
@admin_required
def staff_invitation_resend(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    return _staff_action(
        request, user_uuid, services.staff_invitation_resend, "A new invitation was sent."
    )


@admin_required
def staff_role(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    user = _staff_for_admin(user_uuid)
    form = StaffRoleForm(request.POST or None, initial={"role": user.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_role_change(
                user=user, role=Role(form.cleaned_data["role"]), by=request.user
            )
        except ValidationError as error:
            form.add_error("role", " ".join(error.messages))
        else:
            messages.success(request, "Role changed.")
            return redirect("clinic:staff_detail", user_uuid=user.uuid)
    return render(request, "clinic/staff_role.html", {"form": form, "staff": user})


@admin_required
def staff_profile_edit(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    user = _staff_for_admin(user_uuid)
    profile = StaffProfile.objects.filter(user=user).first()
    form = StaffProfileForm(
        request.POST or None,
        user=user,
        initial={
            "npi": profile.npi if profile else "",
            "supervision_status": profile.supervision_status if profile else "licensed",
            "supervisor": user.supervisor_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_profile_save(user=user, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Credentials saved.")
            return redirect("clinic:staff_detail", user_uuid=user.uuid)
    return render(
        request,
        "clinic/credential_form.html",
        {"form": form, "staff": user, "title": "NPI and supervision"},
    )


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _credential_form(
    request: AuthenticatedRequest,
    *,
    user: User,
    form_class: Any,
    instance: Any,
    save: Any,
    title: str,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            save(user=user, by=request.user, fields=fields, instance=instance)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{title} saved.")
            return redirect("clinic:staff_detail", user_uuid=user.uuid)
    return render(
        request,
        "clinic/credential_form.html",
        {"form": form, "staff": user, "title": title, "instance": instance},
    )


def _licence_save(*, user: User, by: User, fields: dict[str, Any], instance: Any) -> None:
    services.licence_save(user=user, by=by, licence=instance, **fields)


def _dea_save(*, user: User, by: User, fields: dict[str, Any], instance: Any) -> None:
    services.dea_registration_save(user=user, by=by, registration=instance, **fields)


@admin_required
def licence_add(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    user = _staff_for_admin(user_uuid)
    return _credential_form(
        request,
        user=user,
        form_class=LicenceForm,
        instance=None,
        save=_licence_save,
        title="Licence",
    )


@admin_required
def licence_edit(request: AuthenticatedRequest, licence_uuid: UUID) -> HttpResponse:
    licence = get_object_or_404(
        ProfessionalLicence.objects.select_related("user"), uuid=licence_uuid
    )
    return _credential_form(
        request,
        user=licence.user,
        form_class=LicenceForm,
        instance=licence,
        save=_licence_save,
        title="Licence",
    )


@admin_required
def dea_add(request: AuthenticatedRequest, user_uuid: UUID) -> HttpResponse:
    user = _staff_for_admin(user_uuid)
    return _credential_form(
        request,
        user=user,
        form_class=DeaRegistrationForm,
        instance=None,
        save=_dea_save,
        title="DEA registration",
    )


@admin_required
def dea_edit(request: AuthenticatedRequest, registration_uuid: UUID) -> HttpResponse:
    registration = get_object_or_404(
        DeaRegistration.objects.select_related("user"), uuid=registration_uuid
    )
    return _credential_form(
        request,
        user=registration.user,
        form_class=DeaRegistrationForm,
        instance=registration,
        save=_dea_save,
        title="DEA registration",
    )


@require_POST
@admin_required
def credential_remove(request: AuthenticatedRequest, credential_uuid: UUID) -> HttpResponse:
    credential: ProfessionalLicence | DeaRegistration | None = (
        ProfessionalLicence.objects.select_related("user").filter(uuid=credential_uuid).first()
        or DeaRegistration.objects.select_related("user").filter(uuid=credential_uuid).first()
    )
    if credential is None:
        raise Http404
    user = credential.user
    services.credential_delete(credential=credential, by=request.user)
    messages.success(request, "Removed.")
    return redirect("clinic:staff_detail", user_uuid=user.uuid)


# --- invitations and one's own email --------------------------------------------------------------


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.staff_invitation_from_token(token)
    except ValidationError as error:
        return render(
            request, "clinic/link_invalid.html", {"reason": " ".join(error.messages)}, status=400
        )
    form = InvitationAcceptForm(request.POST or None, user=invitation.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invitation_accept(token=token, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your password is set. Please sign in.")
            return redirect("accounts:login")
    return render(
        request, "clinic/invitation_accept.html", {"form": form, "staff": invitation.user}
    )


@role_required(*ALL_STAFF)
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.email_change_request(
                user=request.user, new_email=form.cleaned_data["new_email"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"We sent a confirmation link to {change.new_email}. Your email changes when you "
                "open it.",
            )
            return redirect("clinic:email_change")
    return render(request, "clinic/email_change.html", {"form": form})


def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_change_confirm(token=token)
    except ValidationError as error:
        return render(
            request, "clinic/link_invalid.html", {"reason": " ".join(error.messages)}, status=400
        )
    messages.success(request, f"Your sign-in email is now {user.email}.")
    return redirect("accounts:home" if request.user.is_authenticated else "accounts:login")
