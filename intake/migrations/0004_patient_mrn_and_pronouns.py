"""Patients get a medical record number (numbered in order of creation) and pronouns."""

from typing import Any

from django.db import migrations, models

import intake.models

MRN_DIGITS = 6


def mrn_assign(apps: Any, schema_editor: Any) -> None:
    patient_model = apps.get_model("intake", "Patient")
    patients = patient_model.objects.filter(mrn__isnull=True).order_by("created_at", "id")
    taken = [
        int(mrn)
        for mrn in patient_model.objects.exclude(mrn__isnull=True).values_list("mrn", flat=True)
        if mrn.isdigit()
    ]
    number = max(taken, default=0)
    for patient in patients:
        number += 1
        patient_model.objects.filter(pk=patient.pk).update(mrn=str(number).zfill(MRN_DIGITS))


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_consent_documents")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="pronouns",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="patient",
            name="mrn",
            field=models.CharField(editable=False, max_length=12, null=True, verbose_name="MRN"),
        ),
        migrations.RunPython(mrn_assign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="patient",
            name="mrn",
            field=models.CharField(
                default=intake.models.mrn_next,
                editable=False,
                max_length=12,
                unique=True,
                verbose_name="MRN",
            ),
        ),
    ]
