from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kap_clinic.accounts.roles import Role
from kap_clinic.demo import DEMO_LOGINS


class Command(BaseCommand):
    help = "Prints the current two-factor codes of the demo staff (demo data only)."

    def handle(self, *args: Any, **options: Any) -> None:
        emails = [login.email for login in DEMO_LOGINS if login.role != Role.PATIENT]
        devices = {
            device.user.email: device
            for device in TOTPDevice.objects.filter(
                user__email__in=emails, name="Demo authenticator", confirmed=True
            ).select_related("user")
        }
        if not devices:
            raise CommandError("No demo authenticators: run `manage.py seed_demo` first.")
        self.stdout.write("Current two-factor codes of the demo staff (valid about 30 seconds):")
        for email in emails:
            device = devices.get(email)
            if device is not None:
                code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
                self.stdout.write(f"  {email:<28} {code:0{device.digits}d}")
