"""Medication review classes of CLINICAL.md ("Medication review") and the names that belong to
them, as data a clinician can correct. Matching is by generic or common brand name, lower case.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "CLINICAL.md, Exclusions and review triggers: Medication review (name list: clinic data)"


@dataclass(frozen=True)
class ReviewClass:
    key: str
    label: str
    why: str
    names: frozenset[str]


REVIEW_CLASSES: tuple[ReviewClass, ...] = (
    ReviewClass(
        "benzodiazepine",
        "Benzodiazepine",
        "may blunt the effect of ketamine",
        frozenset(
            {
                "alprazolam",
                "xanax",
                "clonazepam",
                "klonopin",
                "diazepam",
                "valium",
                "lorazepam",
                "ativan",
                "temazepam",
                "restoril",
                "chlordiazepoxide",
                "librium",
                "oxazepam",
                "clobazam",
                "midazolam",
            }
        ),
    ),
    ReviewClass(
        "lamotrigine",
        "Lamotrigine",
        "may blunt the effect of ketamine",
        frozenset({"lamotrigine", "lamictal"}),
    ),
    ReviewClass(
        "maoi",
        "MAOI",
        "monoamine oxidase inhibitor: review before ketamine",
        frozenset(
            {
                "phenelzine",
                "nardil",
                "tranylcypromine",
                "parnate",
                "isocarboxazid",
                "marplan",
                "selegiline",
                "emsam",
                "rasagiline",
                "moclobemide",
            }
        ),
    ),
    ReviewClass(
        "opioid",
        "Opioid",
        "opioid: review before ketamine",
        frozenset(
            {
                "oxycodone",
                "oxycontin",
                "percocet",
                "hydrocodone",
                "vicodin",
                "morphine",
                "codeine",
                "tramadol",
                "fentanyl",
                "hydromorphone",
                "dilaudid",
                "methadone",
                "buprenorphine",
                "suboxone",
                "tapentadol",
            }
        ),
    ),
    ReviewClass(
        "psychostimulant",
        "Psychostimulant",
        "psychostimulant: review before ketamine",
        frozenset(
            {
                "amphetamine",
                "adderall",
                "dextroamphetamine",
                "lisdexamfetamine",
                "vyvanse",
                "methylphenidate",
                "ritalin",
                "concerta",
                "dexmethylphenidate",
                "focalin",
                "modafinil",
                "armodafinil",
            }
        ),
    ),
    ReviewClass(
        "z_drug",
        "Non-benzodiazepine hypnotic",
        "non-benzodiazepine hypnotic: review before ketamine",
        frozenset(
            {"zolpidem", "ambien", "zopiclone", "eszopiclone", "lunesta", "zaleplon", "sonata"}
        ),
    ),
)


def review_classes_for(medication_name: str) -> list[ReviewClass]:
    """The review classes a medication belongs to, matching any word of its name."""
    words = {word.strip(".,()/-") for word in medication_name.casefold().split()}
    return [review_class for review_class in REVIEW_CLASSES if words & review_class.names]
