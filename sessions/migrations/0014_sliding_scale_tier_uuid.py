"""Sliding-scale tiers get a UUID for their URLs (the project's URLs use UUIDs, never primary
keys): added empty, filled row by row, then made unique and required."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):  # type: ignore[no-untyped-def]
    SlidingScaleTier = apps.get_model("kap_sessions", "SlidingScaleTier")
    for tier in SlidingScaleTier.objects.filter(uuid__isnull=True):
        tier.uuid = uuid.uuid4()
        tier.save(update_fields=["uuid"])


class Migration(migrations.Migration):
    dependencies = [("kap_sessions", "0013_billing_good_faith_estimates")]

    operations = [
        migrations.AddField(
            model_name="slidingscaletier",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="slidingscaletier",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
