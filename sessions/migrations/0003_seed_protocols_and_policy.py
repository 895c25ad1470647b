"""Seeds the protocols CLINICAL.md describes and the dosing policy row.

Each protocol carries its source. Numbers CLINICAL.md does not give (spacing, monitoring of routes
other than esketamine) are marked as clinic policy in the source so a clinician can correct them.
Routes CLINICAL.md names without a dose (IM, sublingual) are seeded inactive with an empty range,
so no dose can be given under them until a prescriber enters one.
"""

from decimal import Decimal
from typing import Any

from django.db import migrations

PROTOCOLS: list[dict[str, Any]] = [
    {
        "name": "IV ketamine induction (0.5 mg/kg, 6 infusions)",
        "drug": "ketamine",
        "route": "iv",
        "dose_rule": "mg_per_kg",
        "dose_minimum": Decimal("0.5"),
        "dose_maximum": Decimal("0.5"),
        "dose_default": Decimal("0.5"),
        "dosing_sessions": 6,
        "minimum_spacing_hours": 44,
        "planned_interval_days": 2,
        "dosing_minutes": 150,
        "administration_minutes": 40,
        "vitals_every_minutes_during": 10,
        "vitals_every_minutes_after": 15,
        "minimum_monitoring_minutes": 90,
        "rems_form_required": False,
        "is_active": True,
        "source": (
            "CLINICAL.md 'IV racemic ketamine': 0.5 mg/kg over 40 min; induction of 6 infusions "
            "over 2-3 weeks (e.g. three a week). Vitals: BP every 10 min during infusion, every "
            "15 min after (Emory, 684 infusions); BP peak ~40 min (Yale). Policy, not published: "
            "dose range set to the published dose (widen per prescriber), minimum spacing 44 h, "
            "monitoring 90 min and a 150-min appointment (a dosing experience lasts 1-3 h)."
        ),
    },
    {
        "name": "Esketamine induction (twice weekly, weeks 1-4)",
        "drug": "esketamine",
        "route": "intranasal_esketamine",
        "dose_rule": "fixed_mg",
        "dose_minimum": Decimal("28"),
        "dose_maximum": Decimal("84"),
        "dose_default": Decimal("56"),
        "dosing_sessions": 8,
        "minimum_spacing_hours": 48,
        "planned_interval_days": 3,
        "dosing_minutes": 150,
        "administration_minutes": 10,
        "vitals_every_minutes_during": 5,
        "vitals_every_minutes_after": 30,
        "minimum_monitoring_minutes": 120,
        "device_mg": Decimal("28"),
        "minutes_between_devices": 5,
        "rems_form_required": True,
        "is_active": True,
        "source": (
            "CLINICAL.md 'Esketamine (Spravato REMS)': weeks 1-4 twice weekly, 56 mg day 1 then "
            "56 or 84 mg (28 mg if 65 or older); 28 mg per device, 5 min between devices; "
            "monitor at least 2 h; BP before, ~40 min after and before discharge; REMS Patient "
            "Monitoring Form each session. Policy: spacing 48 h, vitals cadence 5/30 min."
        ),
    },
    {
        "name": "Esketamine maintenance (weekly, weeks 5-8)",
        "drug": "esketamine",
        "route": "intranasal_esketamine",
        "dose_rule": "fixed_mg",
        "dose_minimum": Decimal("56"),
        "dose_maximum": Decimal("84"),
        "dose_default": Decimal("56"),
        "dosing_sessions": 4,
        "minimum_spacing_hours": 144,
        "planned_interval_days": 7,
        "dosing_minutes": 150,
        "administration_minutes": 10,
        "vitals_every_minutes_during": 5,
        "vitals_every_minutes_after": 30,
        "minimum_monitoring_minutes": 120,
        "device_mg": Decimal("28"),
        "minutes_between_devices": 5,
        "rems_form_required": True,
        "is_active": True,
        "source": (
            "CLINICAL.md 'Esketamine (Spravato REMS)': weeks 5-8 weekly, 56 or 84 mg; week 9 on "
            "weekly or every 2 weeks; 28 mg per device, 5 min between; monitor at least 2 h; "
            "REMS form each session. Policy: spacing 144 h, vitals cadence 5/30 min."
        ),
    },
    {
        "name": "IM ketamine (dose to be set by prescriber)",
        "drug": "ketamine",
        "route": "im",
        "dose_rule": "mg_per_kg",
        "dose_minimum": Decimal("0"),
        "dose_maximum": Decimal("0"),
        "dose_default": Decimal("0"),
        "dosing_sessions": 6,
        "minimum_spacing_hours": 44,
        "planned_interval_days": 2,
        "dosing_minutes": 150,
        "administration_minutes": 5,
        "vitals_every_minutes_during": 5,
        "vitals_every_minutes_after": 15,
        "minimum_monitoring_minutes": 90,
        "rems_form_required": False,
        "is_active": False,
        "source": (
            "CLINICAL.md lists IM injection as a route but gives no dose or schedule (unverified). "
            "Inactive, with an empty dose range, until a prescriber enters the clinic's protocol."
        ),
    },
    {
        "name": "Sublingual ketamine (dose to be set by prescriber)",
        "drug": "ketamine",
        "route": "sublingual_oral",
        "dose_rule": "fixed_mg",
        "dose_minimum": Decimal("0"),
        "dose_maximum": Decimal("0"),
        "dose_default": Decimal("0"),
        "dosing_sessions": 6,
        "minimum_spacing_hours": 44,
        "planned_interval_days": 2,
        "dosing_minutes": 180,
        "administration_minutes": 20,
        "vitals_every_minutes_during": 10,
        "vitals_every_minutes_after": 20,
        "minimum_monitoring_minutes": 120,
        "rems_form_required": False,
        "is_active": False,
        "source": (
            "CLINICAL.md lists oral/sublingual (lozenge, troche) as a route but gives no dose or "
            "schedule (unverified). Inactive, with an empty dose range, until a prescriber enters "
            "the clinic's protocol."
        ),
    },
]


def seed(apps: Any, schema_editor: Any) -> None:
    protocol_model = apps.get_model("kap_sessions", "Protocol")
    for fields in PROTOCOLS:
        protocol_model.objects.update_or_create(name=fields["name"], defaults=fields)
    apps.get_model("kap_sessions", "DosingPolicy").objects.get_or_create(id=1)


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("kap_sessions", "Protocol").objects.filter(
        name__in=[fields["name"] for fields in PROTOCOLS], courses__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("kap_sessions", "0002_courses_appointments_dosing")]

    operations = [migrations.RunPython(seed, unseed)]
