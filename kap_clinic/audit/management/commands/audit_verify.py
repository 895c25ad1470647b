"""`manage.py audit_verify`: checks the audit hash chain; exits 1 on any gap, change or deletion."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kap_clinic.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit record's hash chain for gaps, changed rows and deletions."

    def handle(self, *args: Any, **options: Any) -> None:
        verification = audit_chain_verify()
        if not verification.ok:
            raise CommandError(
                f"Audit chain broken after {verification.rows_checked} intact rows: "
                f"{verification.problem}"
            )
        self.stdout.write(f"Audit chain intact: {verification.rows_checked} rows.")
