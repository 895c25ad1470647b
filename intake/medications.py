"""Medication review classes of CLINICAL.md ("Medication review") and the names that belong to
them, as a data table a clinician can correct: generic names, brand names (combination products
list every ingredient's class), and common misspellings, each row with its source.

Matching splits a free-text entry into words at spaces and at the separators of combination
products ("hydrocodone/acetaminophen", "oxycodone-acetaminophen", "amphetamine+dextro...") and
looks every word up in the table, so an ingredient is found inside a combination. Intake's
screening and the dosing day's readiness check use the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCE = "CLINICAL.md, Exclusions and review triggers: Medication review (name list: clinic data)"

# Sources of the name rows (verify locally: names are clinic data, not a drug database).
FDA = "FDA Orange Book / label (generic and brand names)"
COMBINATION = "FDA label of the combination product (each ingredient's class)"
MISSPELLING = "Common misspelling seen in free-text medication lists (clinic data, unverified)"


@dataclass(frozen=True)
class ReviewClass:
    key: str
    label: str
    why: str


@dataclass(frozen=True)
class MedicationName:
    """One name in the table: the classes it belongs to, what kind of name it is, and why."""

    name: str
    classes: tuple[str, ...]
    kind: str  # generic, brand, combination brand, misspelling
    source: str


BENZODIAZEPINE = "benzodiazepine"
LAMOTRIGINE = "lamotrigine"
MAOI = "maoi"
OPIOID = "opioid"
PSYCHOSTIMULANT = "psychostimulant"
Z_DRUG = "z_drug"

REVIEW_CLASSES: tuple[ReviewClass, ...] = (
    ReviewClass(BENZODIAZEPINE, "Benzodiazepine", "may blunt the effect of ketamine"),
    ReviewClass(LAMOTRIGINE, "Lamotrigine", "may blunt the effect of ketamine"),
    ReviewClass(MAOI, "MAOI", "monoamine oxidase inhibitor: review before ketamine"),
    ReviewClass(OPIOID, "Opioid", "opioid: review before ketamine"),
    ReviewClass(PSYCHOSTIMULANT, "Psychostimulant", "psychostimulant: review before ketamine"),
    ReviewClass(
        Z_DRUG, "Non-benzodiazepine hypnotic", "non-benzodiazepine hypnotic: review before ketamine"
    ),
)


def _rows(kind: str, source: str, classes: tuple[str, ...], *names: str) -> list[MedicationName]:
    return [MedicationName(name, classes, kind, source) for name in names]


MEDICATION_NAMES: tuple[MedicationName, ...] = (
    # Benzodiazepines.
    *_rows(
        "generic",
        FDA,
        (BENZODIAZEPINE,),
        "alprazolam",
        "clonazepam",
        "diazepam",
        "lorazepam",
        "temazepam",
        "triazolam",
        "chlordiazepoxide",
        "oxazepam",
        "clobazam",
        "midazolam",
        "clorazepate",
        "estazolam",
        "flurazepam",
        "quazepam",
    ),
    *_rows(
        "brand",
        FDA,
        (BENZODIAZEPINE,),
        "xanax",
        "klonopin",
        "valium",
        "ativan",
        "restoril",
        "halcion",
        "librium",
        "onfi",
        "tranxene",
        "doral",
    ),
    *_rows(
        "misspelling",
        MISSPELLING,
        (BENZODIAZEPINE,),
        "xanex",
        "zanax",
        "alprazolom",
        "klonapin",
        "klonipin",
        "clonazapam",
        "lorazapam",
        "adivan",
        "diazapam",
        "valum",
    ),
    # Lamotrigine.
    *_rows("generic", FDA, (LAMOTRIGINE,), "lamotrigine"),
    *_rows("brand", FDA, (LAMOTRIGINE,), "lamictal"),
    *_rows("misspelling", MISSPELLING, (LAMOTRIGINE,), "lamotrigene", "lamotrigin", "lamictol"),
    # MAOIs.
    *_rows(
        "generic",
        FDA,
        (MAOI,),
        "phenelzine",
        "tranylcypromine",
        "isocarboxazid",
        "selegiline",
        "rasagiline",
        "safinamide",
        "moclobemide",
    ),
    *_rows(
        "brand",
        FDA,
        (MAOI,),
        "nardil",
        "parnate",
        "marplan",
        "emsam",
        "zelapar",
        "azilect",
        "xadago",
    ),
    *_rows("misspelling", MISSPELLING, (MAOI,), "phenelzene", "selegeline", "rasageline"),
    # Opioids.
    *_rows(
        "generic",
        FDA,
        (OPIOID,),
        "oxycodone",
        "hydrocodone",
        "morphine",
        "codeine",
        "tramadol",
        "fentanyl",
        "hydromorphone",
        "oxymorphone",
        "methadone",
        "buprenorphine",
        "tapentadol",
        "meperidine",
    ),
    *_rows(
        "brand",
        FDA,
        (OPIOID,),
        "oxycontin",
        "roxicodone",
        "dilaudid",
        "ultram",
        "nucynta",
        "duragesic",
        "subutex",
        "demerol",
    ),
    *_rows(
        "combination brand",
        COMBINATION,
        (OPIOID,),
        "percocet",  # oxycodone/acetaminophen
        "endocet",  # oxycodone/acetaminophen
        "vicodin",  # hydrocodone/acetaminophen
        "norco",  # hydrocodone/acetaminophen
        "lortab",  # hydrocodone/acetaminophen
        "suboxone",  # buprenorphine/naloxone
        "zubsolv",  # buprenorphine/naloxone
        "ultracet",  # tramadol/acetaminophen
    ),
    *_rows(
        "misspelling",
        MISSPELLING,
        (OPIOID,),
        "oxycodon",
        "oxicodone",
        "hydrocodon",
        "hydrocodine",
        "percoset",
        "vicoden",
        "tramadal",
        "suboxen",
    ),
    # Psychostimulants.
    *_rows(
        "generic",
        FDA,
        (PSYCHOSTIMULANT,),
        "amphetamine",
        "dextroamphetamine",
        "lisdexamfetamine",
        "methamphetamine",
        "methylphenidate",
        "dexmethylphenidate",
        "modafinil",
        "armodafinil",
    ),
    *_rows(
        "brand",
        FDA,
        (PSYCHOSTIMULANT,),
        "dexedrine",
        "zenzedi",
        "vyvanse",
        "desoxyn",
        "ritalin",
        "concerta",
        "focalin",
        "provigil",
        "nuvigil",
        "evekeo",
    ),
    *_rows(
        "combination brand",
        COMBINATION,
        (PSYCHOSTIMULANT,),
        "adderall",  # amphetamine/dextroamphetamine mixed salts
        "mydayis",  # amphetamine/dextroamphetamine mixed salts
    ),
    *_rows(
        "misspelling",
        MISSPELLING,
        (PSYCHOSTIMULANT,),
        "adderal",
        "aderall",
        "adarall",
        "vyvance",
        "vivanse",
        "ritilin",
        "concerto",
        "dexamphetamine",
        "dextroamphetamin",
        "modafinal",
        "provigal",
    ),
    # Non-benzodiazepine hypnotics.
    *_rows("generic", FDA, (Z_DRUG,), "zolpidem", "zopiclone", "eszopiclone", "zaleplon"),
    *_rows("brand", FDA, (Z_DRUG,), "ambien", "edluar", "intermezzo", "lunesta", "sonata"),
    *_rows("misspelling", MISSPELLING, (Z_DRUG,), "ambian", "zolpidam", "zolpidim", "lunestra"),
)

_BY_NAME: dict[str, MedicationName] = {row.name: row for row in MEDICATION_NAMES}
_BY_KEY: dict[str, ReviewClass] = {
    review_class.key: review_class for review_class in REVIEW_CLASSES
}
# Words split at anything not a letter: "hydrocodone/acetaminophen 5-325" -> hydrocodone, ...
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class MedicationMatch:
    """A word of a medication entry found in the table: the entry, the name and its classes."""

    text: str
    name: MedicationName
    review_class: ReviewClass


def medication_matches(text: str) -> list[MedicationMatch]:
    """Every review class a free-text entry (one medicine or a list) belongs to, with the name
    that matched; one match per class and name."""
    found: dict[tuple[str, str], MedicationMatch] = {}
    for word in _WORD.findall(text.casefold()):
        row = _BY_NAME.get(word)
        if row is None:
            continue
        for key in row.classes:
            found.setdefault((key, row.name), MedicationMatch(text, row, _BY_KEY[key]))
    return list(found.values())


def review_classes_for(medication_name: str) -> list[ReviewClass]:
    """The review classes a medication belongs to, in the table's order."""
    keys = {match.review_class.key for match in medication_matches(medication_name)}
    return [review_class for review_class in REVIEW_CLASSES if review_class.key in keys]
