"""The whole clinic as NDJSON (for leaving the platform, or a backup a clinic can read).

Streams: each source is read with a server-side iterator in chunks and written line by line, so
memory stays bounded whatever the clinic's size. The format is EXPORT_FORMAT.md, copied in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.registry import fhir_resource_types, fhir_sources

FORMAT_DOCUMENT = Path(__file__).with_name("EXPORT_FORMAT.md")


def clinic_export_write(*, directory: Path, by: User) -> dict[str, int]:
    """Writes ``<ResourceType>.ndjson`` for every type, ``manifest.json`` and ``README.md``."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for resource_type in fhir_resource_types():
        count = 0
        with (directory / f"{resource_type}.ndjson").open("w", encoding="utf-8") as output:
            for source in fhir_sources(resource_type):
                rows = source.rows(by).order_by("pk")
                for row in rows.iterator(chunk_size=settings.EXPORT_CHUNK_ROWS):
                    output.write(json.dumps(source.to_resource(row), ensure_ascii=False))
                    output.write("\n")
                    count += 1
        counts[resource_type] = count
    manifest = {
        "exportedAt": timezone.now().isoformat(),
        "fhirVersion": "4.0.1",
        "format": "application/fhir+ndjson",
        "files": [{"type": t, "file": f"{t}.ndjson", "count": n} for t, n in counts.items()],
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.copyfile(FORMAT_DOCUMENT, directory / "README.md")
    audit_record(
        action=AuditAction.EXPORT,
        actor=by,
        object_type="interop.clinic_export",
        detail=f"whole-clinic export, {sum(counts.values())} resources",
    )
    return counts
