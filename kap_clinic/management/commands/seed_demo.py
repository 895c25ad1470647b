from typing import Any

from django.core.management.base import BaseCommand

from kap_clinic.demo import demo_seed


class Command(BaseCommand):
    help = "Loads the demo clinic, one user per role and a few synthetic patients (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo clinic ready. Demo logins:"))
        width = max(len(login.email) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.role.label:<13} {login.email:<{width}}  {login.password}")
        self.stdout.write(
            "Staff sign in with a second factor: `python manage.py demo_totp` prints their current"
            " codes."
        )
