"""Seeds the default note templates (issue #6): SOAP, DAP and the integration template."""

from typing import Any

from django.db import migrations

TEMPLATES = [
    ("preparation", "SOAP", ["Subjective", "Objective", "Assessment", "Plan"]),
    ("dosing", "DAP", ["Data", "Assessment", "Plan"]),
    (
        "integration",
        "Integration",
        [
            "The experience in the patient's words",
            "Themes and images",
            "Emotions",
            "Body",
            "Insights",
            "Meaning and intentions",
            "Practices and homework",
            "Risk assessment",
            "Plan",
        ],
    ),
]
EXTRA = [
    ("integration", "SOAP", ["Subjective", "Objective", "Assessment", "Plan"]),
    ("integration", "DAP", ["Data", "Assessment", "Plan"]),
    ("preparation", "DAP", ["Data", "Assessment", "Plan"]),
    ("dosing", "SOAP", ["Subjective", "Objective", "Assessment", "Plan"]),
]


def seed(apps: Any, schema_editor: Any) -> None:
    NoteTemplate = apps.get_model("integration", "NoteTemplate")
    for kind, name, sections in TEMPLATES:
        NoteTemplate.objects.get_or_create(
            kind=kind, name=name, defaults={"sections": "\n".join(sections), "is_default": True}
        )
    for kind, name, sections in EXTRA:
        NoteTemplate.objects.get_or_create(
            kind=kind, name=name, defaults={"sections": "\n".join(sections), "is_default": False}
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("integration", "NoteTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("integration", "0001_notes")]

    operations = [migrations.RunPython(seed, unseed)]
