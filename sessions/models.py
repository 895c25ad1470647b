"""Where care happens: clinic locations and their rooms."""

from __future__ import annotations

import uuid

from django.db import models

from kap_clinic.timezones import clinic_time_zone


class Location(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(max_length=64, default=clinic_time_zone)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoomKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment room"
    CONSULTATION = "consultation", "Consultation room"
    TELEHEALTH = "telehealth", "Telehealth (virtual)"


class Room(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RoomKind.choices, default=RoomKind.TREATMENT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location.name}: {self.name}"
