"""The audit hash chain: sequence and hashes on every row (existing rows chained in id order)."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import django.utils.timezone
from django.db import migrations, models

GENESIS_HASH = "0" * 64
# A frozen copy of kap_clinic.audit.chain's canonical form, so this migration never changes.
CONTENT_FIELDS = (
    "uuid",
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "detail",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def _chain_existing_rows(apps: Any, schema_editor: Any) -> None:
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only", params=None
        )
    previous_hash = GENESIS_HASH
    sequence = 0
    for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
        sequence += 1
        content = json.dumps(
            [_canonical(getattr(event, field)) for field in CONTENT_FIELDS],
            separators=(",", ":"),
            ensure_ascii=True,
        )
        chained = f"{content}|{sequence}|{previous_hash}"
        row_hash = hashlib.sha256(chained.encode()).hexdigest()
        event_model.objects.filter(pk=event.pk).update(
            sequence=sequence, previous_hash=previous_hash, row_hash=row_hash
        )
        previous_hash = row_hash
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only", params=None
        )
    head_model.objects.update_or_create(
        pk=1, defaults={"last_sequence": sequence, "last_hash": previous_hash}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_sequence", models.PositiveBigIntegerField(default=0)),
                ("last_hash", models.CharField(max_length=64)),
            ],
            options={"default_permissions": ()},
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ran_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("ok", models.BooleanField()),
                ("rows_checked", models.PositiveBigIntegerField(default=0)),
                ("problem", models.CharField(blank=True, max_length=300)),
            ],
            options={"ordering": ["-ran_at", "-id"], "default_permissions": ()},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RunPython(_chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True),
        ),
    ]
