"""`make bench`: the whole-clinic export of BENCH_PATIENTS generated patients (50,000 by default),
each with an outcome measure, in a child process; prints its peak memory and fails when it grows
past BENCH_EXPORT_MAX_MB (the export streams, so it should not grow with the clinic).
Not collected by `make test`; scripts/bench.sh runs it."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from intake.models import InstrumentResponse, Patient
from kap_clinic.accounts.roles import Role
from tests.conftest import PROJECT_ROOT
from tests.factories import UserFactory
from tests.notifications.worker_support import children_database_url

pytestmark = pytest.mark.django_db(transaction=True)
BATCH = 2000


def test_clinic_export_memory_stays_bounded(tmp_path: Path):
    total = int(os.environ.get("BENCH_PATIENTS", "50000"))
    limit_mb = int(os.environ.get("BENCH_EXPORT_MAX_MB", "400"))
    UserFactory(role=Role.CLINIC_ADMIN)
    now = timezone.now()
    for start in range(0, total, BATCH):
        patients = Patient.objects.bulk_create(
            Patient(
                legal_first_name=f"Given{n}",
                legal_last_name=f"Family{n}",
                date_of_birth=date(1980, 1, 1),
                email=f"bench{n}@example.org",
            )
            for n in range(start, min(start + BATCH, total))
        )
        InstrumentResponse.objects.bulk_create(
            InstrumentResponse(
                patient=p, instrument_key="phq9", instrument_version="2001",
                answers={f"item{i}": 1 for i in range(1, 10)}, total=9, band="mild",
                band_label="Mild", recorded_at=now,
            )
            for p in patients
        )  # fmt: skip
    out = tmp_path / "clinic"
    started = time.monotonic()
    env = dict(os.environ, DATABASE_URL=children_database_url())
    result = subprocess.run(
        [sys.executable, "manage.py", "clinic_export", "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=3600, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    counts = {
        e["type"]: e["count"] for e in json.loads((out / "manifest.json").read_text())["files"]
    }
    print(
        f"\nclinic export: {total} patients, {sum(counts.values())} resources in {seconds:.1f} s, "
        f"peak memory {peak_mb:.0f} MB (limit {limit_mb} MB)"
    )
    assert counts["Patient"] == total
    assert counts["Observation"] == 2 * total  # the PHQ-9 panel and total of each
    assert peak_mb < limit_mb
