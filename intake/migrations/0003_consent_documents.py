"""First versions of the consent documents; the clinic edits them (as new versions) in admin."""

from typing import Any

from django.db import migrations

TEXTS = {
    "treatment": (
        "Informed consent to ketamine-assisted psychotherapy",
        "Ketamine-assisted psychotherapy (KAP) combines preparation sessions, dosing sessions "
        "with a therapist present, and integration psychotherapy after each dose. Ketamine can "
        "cause dissociation, sedation, nausea and a rise in blood pressure, and you will be "
        "monitored until these have resolved. You must not drive until the next day. You may "
        "withdraw your consent at any time. The clinic will replace this text with its own.",
    ),
    "communications": (
        "Consent to communications",
        "The clinic may contact you by email, text message and the patient portal about your "
        "care, appointments and reminders. Urgent and safety messages are always sent.",
    ),
    "telehealth": (
        "Consent to telehealth",
        "Some sessions may happen by secure video. Telehealth has limits: the clinician cannot "
        "examine you in person, and a connection may drop. You agree to be in a private place "
        "and to give your location at the start of each session.",
    ),
}


def create(apps: Any, schema_editor: Any) -> None:
    document = apps.get_model("intake", "ConsentDocument")
    for kind, (title, text) in TEXTS.items():
        document.objects.get_or_create(
            kind=kind, version=1, defaults={"title": title, "text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_wizard_screening_clearance")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
