"""Seeds the billing catalogue a KAP clinic starts from: CPT/HCPCS codes with their time rules,
modifiers, places of service and starter ICD-10-CM diagnoses, and the sliding-scale income line.

Codes are data the clinic edits in set-up (CLINICAL.md, Billing facts: verify against the current
code books). Fees are left empty: the clinic sets its own.
"""

from decimal import Decimal

from django.db import migrations

CPT = "AMA CPT code book (verify the current year)"
HCPCS = "CMS HCPCS Level II (verify the current year)"
ICD = "CMS ICD-10-CM (verify the current fiscal year)"
POS = "CMS place of service code set"
CAT3 = "AMA CPT Category III, effective 2024 (verify locally)"

# (system, code, description, unit, min_minutes, max_minutes, is_add_on, source)
PROCEDURES = [
    ("cpt", "90791", "Psychiatric diagnostic evaluation", "service", None, None, False, CPT),
    (
        "cpt",
        "90792",
        "Psychiatric diagnostic evaluation with medical services",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    # Time rules: CLINICAL.md, Billing facts (90832 16-37, 90834 38-52, 90837 >= 53 minutes).
    ("cpt", "90832", "Psychotherapy, 30 minutes", "service", 16, 37, False, CPT),
    ("cpt", "90834", "Psychotherapy, 45 minutes", "service", 38, 52, False, CPT),
    ("cpt", "90837", "Psychotherapy, 60 minutes", "service", 53, None, False, CPT),
    ("cpt", "90833", "Psychotherapy add-on with E/M, 30 minutes", "service", 16, 37, True, CPT),
    ("cpt", "90836", "Psychotherapy add-on with E/M, 45 minutes", "service", 38, 52, True, CPT),
    ("cpt", "90838", "Psychotherapy add-on with E/M, 60 minutes", "service", 53, None, True, CPT),
    ("cpt", "90846", "Family psychotherapy without the patient", "service", None, None, False, CPT),
    ("cpt", "90847", "Family psychotherapy with the patient", "service", None, None, False, CPT),
    ("cpt", "90853", "Group psychotherapy", "service", None, None, False, CPT),
    (
        "cpt",
        "99202",
        "New patient office visit, straightforward",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    ("cpt", "99203", "New patient office visit, low complexity", "service", None, None, False, CPT),
    ("cpt", "99204", "New patient office visit, moderate", "service", None, None, False, CPT),
    (
        "cpt",
        "99205",
        "New patient office visit, high complexity",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    (
        "cpt",
        "99212",
        "Established patient visit, straightforward",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    (
        "cpt",
        "99213",
        "Established patient visit, low complexity",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    ("cpt", "99214", "Established patient visit, moderate", "service", None, None, False, CPT),
    (
        "cpt",
        "99215",
        "Established patient visit, high complexity",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    ("cpt", "96365", "IV infusion, first hour", "hour", None, None, False, CPT),
    ("cpt", "96366", "IV infusion, each additional hour", "hour", None, None, True, CPT),
    (
        "cpt",
        "96372",
        "Therapeutic injection, subcutaneous or intramuscular",
        "service",
        None,
        None,
        False,
        CPT,
    ),
    # CLINICAL.md, Billing facts: esketamine up to 56 mg / more than 56 mg, with 2-hour observation.
    (
        "hcpcs",
        "G2082",
        "Esketamine up to 56 mg with 2-hour observation",
        "service",
        None,
        None,
        False,
        HCPCS,
    ),
    (
        "hcpcs",
        "G2083",
        "Esketamine more than 56 mg with 2-hour observation",
        "service",
        None,
        None,
        False,
        HCPCS,
    ),
    # CLINICAL.md, Billing facts: continuous in-person monitoring, each hour.
    (
        "cpt",
        "0820T",
        "Continuous in-person monitoring during psychedelic therapy, first professional, each hour",
        "hour",
        None,
        None,
        False,
        CAT3,
    ),
    (
        "cpt",
        "0821T",
        "Continuous in-person monitoring, second professional concurrently, each hour",
        "hour",
        None,
        None,
        True,
        CAT3,
    ),
    (
        "cpt",
        "0822T",
        "Continuous in-person monitoring by clinical staff under direction, each hour",
        "hour",
        None,
        None,
        True,
        CAT3,
    ),
]

MODIFIERS = [
    ("95", "Synchronous telehealth (audio and video)"),
    ("93", "Synchronous telehealth (audio only)"),
    ("25", "Significant, separately identifiable E/M service on the same day"),
    ("59", "Distinct procedural service"),
    ("GT", "Via interactive audio and video telecommunication"),
]

PLACES = [
    ("02", "Telehealth, not in the patient's home"),
    ("10", "Telehealth in the patient's home"),
    ("11", "Office"),
]

DIAGNOSES = [
    ("F32.0", "Major depressive disorder, single episode, mild", "depressive"),
    ("F32.1", "Major depressive disorder, single episode, moderate", "depressive"),
    (
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        "depressive",
    ),
    ("F32.9", "Major depressive disorder, single episode, unspecified", "depressive"),
    ("F33.1", "Major depressive disorder, recurrent, moderate", "depressive"),
    (
        "F33.2",
        "Major depressive disorder, recurrent, severe without psychotic features",
        "depressive",
    ),
    ("F34.1", "Dysthymic disorder", "depressive"),
    ("F41.1", "Generalized anxiety disorder", "anxiety"),
    ("F41.0", "Panic disorder without agoraphobia", "anxiety"),
    ("F40.10", "Social phobia, unspecified", "anxiety"),
    ("F43.10", "Post-traumatic stress disorder, unspecified", "trauma"),
    ("F43.12", "Post-traumatic stress disorder, chronic", "trauma"),
    ("F43.22", "Adjustment disorder with anxiety", "trauma"),
    ("F42.2", "Mixed obsessional thoughts and acts", "ocd"),
    ("F42.9", "Obsessive-compulsive disorder, unspecified", "ocd"),
    ("F50.00", "Anorexia nervosa, unspecified", "eating"),
    ("F50.2", "Bulimia nervosa", "eating"),
    ("F50.81", "Binge eating disorder", "eating"),
    ("F10.20", "Alcohol dependence, uncomplicated", "substance"),
    ("F11.20", "Opioid dependence, uncomplicated", "substance"),
    ("F12.20", "Cannabis dependence, uncomplicated", "substance"),
    ("F17.210", "Nicotine dependence, cigarettes, uncomplicated", "substance"),
]


def seed(apps, schema_editor):
    BillingCode = apps.get_model("kap_sessions", "BillingCode")
    SlidingScalePolicy = apps.get_model("kap_sessions", "SlidingScalePolicy")
    rows = [
        BillingCode(
            system=system,
            code=code,
            description=description,
            unit=unit,
            min_minutes=low,
            max_minutes=high,
            is_add_on=add_on,
            source=source,
        )
        for system, code, description, unit, low, high, add_on, source in PROCEDURES
    ]
    rows += [
        BillingCode(system="modifier", code=code, description=description, source=CPT)
        for code, description in MODIFIERS
    ]
    rows += [
        BillingCode(system="pos", code=code, description=description, source=POS)
        for code, description in PLACES
    ]
    rows += [
        BillingCode(
            system="icd10", code=code, description=description, disorder_group=group, source=ICD
        )
        for code, description, group in DIAGNOSES
    ]
    BillingCode.objects.bulk_create(rows, ignore_conflicts=True)
    if not SlidingScalePolicy.objects.exists():
        SlidingScalePolicy.objects.create(
            # HHS poverty guidelines 2025, 48 contiguous states: $15,650 + $5,500 per extra person.
            base_income=Decimal("15650.00"),
            per_additional_person=Decimal("5500.00"),
            source="HHS poverty guidelines 2025, 48 contiguous states (clinic policy; verify)",
        )


class Migration(migrations.Migration):
    dependencies = [("kap_sessions", "0008_billing_codes_fees_sliding_scale")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
