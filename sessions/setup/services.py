"""Writes of the locations set-up: locations, rooms, opening hours, site certifications.

Each service audits itself in its own transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from sessions.models import Location, OpeningHours, Room, RoomKind, SiteCertification


def _save(instance: Any, *, by: User, fields: dict[str, Any], what: str, duplicate: str) -> None:
    created = instance.pk is None
    for name, value in fields.items():
        setattr(instance, name, value)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError(duplicate) from error
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=by,
        obj=instance,
        detail=f"{what} {'added' if created else 'changed'}",
    )


@transaction.atomic
def location_save(
    *,
    by: User,
    location: Location | None = None,
    room_names: list[str] | None = None,
    **fields: Any,
) -> Location:
    """Creates or changes a location; ``room_names`` adds treatment rooms to it."""
    location = location or Location()
    if (
        Location.objects.filter(name__iexact=fields.get("name", location.name))
        .exclude(pk=location.pk)
        .exists()
    ):
        raise ValidationError({"name": "Another location has this name."})
    _save(
        location, by=by, fields=fields, what="location", duplicate="Another location has this name."
    )
    for name in room_names or []:
        room_save(by=by, location=location, name=name, kind=RoomKind.TREATMENT)
    return location


@transaction.atomic
def room_save(
    *, by: User, room: Room | None = None, location: Location | None, **fields: Any
) -> Room:
    if location is None:
        raise ValidationError({"location": "Choose the location this room is in."})
    room = room or Room()
    name = fields.get("name", room.name)
    if Room.objects.filter(location=location, name__iexact=name).exclude(pk=room.pk).exists():
        raise ValidationError({"name": "This location has a room with this name already."})
    fields["location"] = location
    _save(room, by=by, fields=fields, what="room", duplicate="This location has this room already.")
    return room


@transaction.atomic
def opening_hours_add(*, by: User, location: Location, **fields: Any) -> OpeningHours:
    if fields["closes_at"] <= fields["opens_at"]:
        raise ValidationError({"closes_at": "Closing time must be after opening time."})
    hours = OpeningHours(location=location)
    _save(hours, by=by, fields=fields, what="opening hours", duplicate="These hours exist.")
    return hours


@transaction.atomic
def opening_hours_remove(*, by: User, hours: OpeningHours) -> None:
    audit_record(
        action=AuditAction.DELETE,
        actor=by,
        object_type="kap_sessions.openinghours",
        object_id=str(hours.pk),
        detail=f"opening hours removed from location {hours.location.uuid}",
    )
    hours.delete()


@transaction.atomic
def certification_save(
    *, by: User, location: Location, certification: SiteCertification | None = None, **fields: Any
) -> SiteCertification:
    issued, expires = fields.get("issued_on"), fields.get("expires_on")
    if issued and expires and expires < issued:
        raise ValidationError({"expires_on": "The expiry date is before the issue date."})
    certification = certification or SiteCertification(location=location)
    duplicate = SiteCertification.objects.filter(
        kind=fields.get("kind"),
        issuer__iexact=fields.get("issuer", ""),
        number=fields.get("number"),
    ).exclude(pk=certification.pk)
    if duplicate.exists():
        raise ValidationError({"number": "This certification number is already on file."})
    _save(
        certification,
        by=by,
        fields=fields,
        what="site certification",
        duplicate="This certification number is already on file.",
    )
    return certification


@transaction.atomic
def certification_remove(*, by: User, certification: SiteCertification) -> None:
    audit_record(
        action=AuditAction.DELETE, actor=by, obj=certification, detail="site certification removed"
    )
    certification.delete()
