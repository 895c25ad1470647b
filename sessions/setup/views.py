"""Set-up pages for locations: rooms, opening hours and site certifications (clinic admins)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kap_clinic.accounts.access import AuthenticatedRequest, role_required
from kap_clinic.accounts.roles import Role
from kap_clinic.clinic.records import record_form, record_list
from kap_clinic.clinic.selectors import expiry_warning_days, organisation_get
from kap_clinic.clinic.views import admin_required
from kap_clinic.timezones import clinic_time_zone
from sessions.models import DosingPolicy, Location, OpeningHours, Protocol, Room, SiteCertification
from sessions.setup import services
from sessions.setup.forms import (
    DosingPolicyForm,
    LocationForm,
    OpeningHoursForm,
    ProtocolForm,
    RoomForm,
    SiteCertificationForm,
)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _in_wizard(request: AuthenticatedRequest) -> bool:
    return request.GET.get("wizard") == "1"


@role_required(Role.CLINIC_ADMIN)
def location_list(request: AuthenticatedRequest) -> HttpResponse:
    locations = Location.objects.annotate(
        room_count=Count("rooms", distinct=True)
    ).prefetch_related(
        Prefetch("certifications", queryset=SiteCertification.objects.order_by("expires_on"))
    )
    return render(
        request,
        "kap_sessions/setup/location_list.html",
        {"locations": locations, "today": timezone.localdate()},
    )


@admin_required
def location_create(request: AuthenticatedRequest) -> HttpResponse:
    in_wizard = _in_wizard(request)
    organisation = organisation_get()
    form = LocationForm(
        request.POST or None,
        # A new location starts in the organisation's default time zone.
        initial={"time_zone": organisation.time_zone if organisation else clinic_time_zone()},
        submit_label="Save and continue" if in_wizard else "Save location",
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in LocationForm.Meta.fields}
        try:
            location = services.location_save(
                by=request.user, room_names=form.cleaned_data["room_names"], **fields
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{location.name} saved.")
            if in_wizard:
                return redirect("clinic:wizard")
            return redirect("sessions:setup:location_detail", location_uuid=location.uuid)
    return render(
        request,
        "kap_sessions/setup/location_form.html",
        {"form": form, "in_wizard": in_wizard, "location": None},
    )


@role_required(Role.CLINIC_ADMIN)
def location_edit(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    location = get_object_or_404(Location, uuid=location_uuid)
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in LocationForm.Meta.fields}
        try:
            services.location_save(by=request.user, location=location, **fields)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Location saved.")
            return redirect("sessions:setup:location_detail", location_uuid=location.uuid)
    return render(
        request,
        "kap_sessions/setup/location_form.html",
        {"form": form, "in_wizard": False, "location": location},
    )


@role_required(Role.CLINIC_ADMIN)
def location_detail(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    location = get_object_or_404(
        Location.objects.prefetch_related("rooms", "opening_hours", "certifications"),
        uuid=location_uuid,
    )
    hours_form = OpeningHoursForm(request.POST or None)
    if request.method == "POST" and hours_form.is_valid():
        try:
            services.opening_hours_add(
                by=request.user, location=location, **hours_form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(hours_form, error)
        else:
            messages.success(request, "Opening hours added.")
            return redirect("sessions:setup:location_detail", location_uuid=location.uuid)
    return render(
        request,
        "kap_sessions/setup/location_detail.html",
        {
            "location": location,
            "hours_form": hours_form,
            "today": timezone.localdate(),
            "warning_days": expiry_warning_days(),
        },
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def opening_hours_remove(request: AuthenticatedRequest, hours_id: int) -> HttpResponse:
    hours = get_object_or_404(OpeningHours.objects.select_related("location"), pk=hours_id)
    services.opening_hours_remove(by=request.user, hours=hours)
    messages.success(request, "Opening hours removed.")
    return redirect("sessions:setup:location_detail", location_uuid=hours.location.uuid)


def _room_form(
    request: AuthenticatedRequest, *, room: Room | None, initial: dict[str, Any]
) -> HttpResponse:
    form = RoomForm(request.POST or None, instance=room, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ("name", "kind", "is_active")}
        try:
            saved = services.room_save(
                by=request.user, room=room, location=form.cleaned_data["location"], **fields
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("sessions:setup:location_detail", location_uuid=saved.location.uuid)
    return render(request, "kap_sessions/setup/room_form.html", {"form": form, "room": room})


@role_required(Role.CLINIC_ADMIN)
def room_create(request: AuthenticatedRequest) -> HttpResponse:
    location_uuid = request.GET.get("location", "")
    location = None
    if location_uuid:
        try:
            location = Location.objects.filter(uuid=UUID(location_uuid)).first()
        except ValueError:
            location = None
    return _room_form(request, room=None, initial={"location": location})


@role_required(Role.CLINIC_ADMIN)
def room_edit(request: AuthenticatedRequest, room_uuid: UUID) -> HttpResponse:
    room = get_object_or_404(Room.objects.select_related("location"), uuid=room_uuid)
    return _room_form(request, room=room, initial={})


def _certification_form(
    request: AuthenticatedRequest, *, location: Location, certification: SiteCertification | None
) -> HttpResponse:
    form = SiteCertificationForm(request.POST or None, instance=certification)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_save(
                by=request.user, location=location, certification=certification, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Certification saved.")
            return redirect("sessions:setup:location_detail", location_uuid=location.uuid)
    return render(
        request,
        "kap_sessions/setup/certification_form.html",
        {"form": form, "location": location, "certification": certification},
    )


@role_required(Role.CLINIC_ADMIN)
def certification_create(request: AuthenticatedRequest, location_uuid: UUID) -> HttpResponse:
    location = get_object_or_404(Location, uuid=location_uuid)
    return _certification_form(request, location=location, certification=None)


@role_required(Role.CLINIC_ADMIN)
def certification_edit(request: AuthenticatedRequest, certification_uuid: UUID) -> HttpResponse:
    certification = get_object_or_404(
        SiteCertification.objects.select_related("location"), uuid=certification_uuid
    )
    return _certification_form(
        request, location=certification.location, certification=certification
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def certification_remove(request: AuthenticatedRequest, certification_uuid: UUID) -> HttpResponse:
    certification = get_object_or_404(
        SiteCertification.objects.select_related("location"), uuid=certification_uuid
    )
    location = certification.location
    services.certification_remove(by=request.user, certification=certification)
    messages.success(request, "Certification removed.")
    return redirect(
        reverse("sessions:setup:location_detail", kwargs={"location_uuid": location.uuid})
    )


# --- protocols and the dosing policy --------------------------------------------------------------


@role_required(Role.CLINIC_ADMIN)
def protocol_list(request: AuthenticatedRequest) -> HttpResponse:
    return record_list(
        request,
        title="Protocols",
        intro="How each course is dosed, spaced and monitored. Every number cites its source.",
        queryset=Protocol.objects.all(),
        columns=[
            ("Protocol", lambda protocol: protocol.name),
            ("Route", lambda protocol: protocol.get_route_display()),
            ("Dosing sessions", lambda protocol: protocol.dosing_sessions),
            ("In use", lambda protocol: "Yes" if protocol.is_active else "No"),
        ],
        edit_url=lambda protocol: reverse("sessions:setup:protocol_edit", args=[protocol.uuid]),
        create_url=reverse("sessions:setup:protocol_create"),
        create_label="Add a protocol",
    )


@role_required(Role.CLINIC_ADMIN)
def protocol_create(request: AuthenticatedRequest) -> HttpResponse:
    return _protocol_form(request, None)


@role_required(Role.CLINIC_ADMIN)
def protocol_edit(request: AuthenticatedRequest, protocol_uuid: UUID) -> HttpResponse:
    return _protocol_form(request, get_object_or_404(Protocol, uuid=protocol_uuid))


def _protocol_form(request: AuthenticatedRequest, protocol: Protocol | None) -> HttpResponse:
    back = reverse("sessions:setup:protocol_list")
    return record_form(
        request,
        form_class=ProtocolForm,
        instance=protocol,
        title=f"Edit {protocol.name}" if protocol else "New protocol",
        what="protocol",
        back_url=back,
        back_label="Protocols",
        done_url=back,
    )


@role_required(Role.CLINIC_ADMIN)
def dosing_policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    return record_form(
        request,
        form_class=DosingPolicyForm,
        instance=DosingPolicy.current(),
        title="Dosing policy",
        what="dosing policy",
        back_url=reverse("clinic:index"),
        back_label="Set-up",
        done_url=reverse("sessions:setup:dosing_policy"),
    )
