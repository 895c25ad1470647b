"""manage.py clinic_export: every patient's record as NDJSON files plus their format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.interop.clinic_export import clinic_export_write


class Command(BaseCommand):
    help = "Exports every patient's record as FHIR NDJSON (one file per resource type)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="folder to write (default: a new one under var/exports)")
        parser.add_argument("--admin", help="email of the clinic admin the export is made for")

    def handle(self, *args: Any, **options: Any) -> None:
        admins = User.objects.filter(role=Role.CLINIC_ADMIN, is_active=True).order_by("id")
        if options["admin"]:
            admins = admins.filter(email=options["admin"])
        admin = admins.first()
        if admin is None:
            raise CommandError("No active clinic admin to make the export for (see --admin).")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        directory = Path(options["out"] or Path(settings.EXPORT_DIR) / f"clinic-{stamp}")
        counts = clinic_export_write(directory=directory, by=admin)
        self.stdout.write(f"{sum(counts.values())} resources written to {directory}")
