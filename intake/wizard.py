"""The steps of the intake wizard: their order, their forms and when each is asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from intake import forms as intake_forms
from intake.instruments import CSSRS_SCREENER, GAD7, INSTRUMENTS, PCL5, PHQ9, PHQ9_SUICIDE_ITEM
from intake.models import ConsentDocument, ConsentKind, IntakeForm

Answers = Mapping[str, Any]


def _always(answers: Answers) -> bool:
    return True


def _phq9_item9_above_zero(answers: Answers) -> bool:
    # CLINICAL.md: PHQ-9 item 9 > 0 calls for the C-SSRS follow-up.
    return int(answers.get("phq9", {}).get(PHQ9_SUICIDE_ITEM) or 0) > 0


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    form_class: type[forms.Form] | None = None
    instrument_key: str = ""
    applies: Callable[[Answers], bool] = _always


STEPS: tuple[Step, ...] = (
    Step("about", "About you and your contacts", intake_forms.AboutYouForm),
    Step("providers", "Your other providers", intake_forms.ProvidersForm),
    Step("medical", "Medical history", intake_forms.MedicalHistoryForm),
    Step("medications", "Current medications"),
    Step("substances", "Substance use", intake_forms.SubstanceUseForm),
    Step("psychiatric", "Mental health history", intake_forms.PsychiatricHistoryForm),
    Step("goals", "Intentions and goals", intake_forms.GoalsForm),
    Step("phq9", "Mood (PHQ-9)", instrument_key=PHQ9.key),
    Step("gad7", "Anxiety (GAD-7)", instrument_key=GAD7.key),
    Step("pcl5", "Stress (PCL-5)", instrument_key=PCL5.key),
    Step(
        "cssrs",
        "Safety questions (C-SSRS)",
        instrument_key=CSSRS_SCREENER.key,
        applies=_phq9_item9_above_zero,
    ),
    Step("consents", "Consents"),
)
STEP_KEYS = [step.key for step in STEPS]


def step_get(key: str) -> Step | None:
    return next((step for step in STEPS if step.key == key), None)


def steps_for(answers: Answers) -> list[Step]:
    """The steps this patient is asked, given their answers so far."""
    return [step for step in STEPS if step.applies(answers)]


def first_incomplete(answers: Answers) -> Step | None:
    return next((step for step in steps_for(answers) if step.key not in answers), None)


def step_reachable(step: Step, answers: Answers) -> bool:
    """A step can be opened once every step asked before it is complete."""
    for earlier in steps_for(answers):
        if earlier.key == step.key:
            return True
        if earlier.key not in answers:
            return False
    return False


def consent_documents() -> list[ConsentDocument]:
    """The current version of each consent document."""
    latest: dict[str, ConsentDocument] = {}
    for document in ConsentDocument.objects.order_by("kind", "-version"):
        latest.setdefault(document.kind, document)
    return [latest[kind] for kind in ConsentKind.values if kind in latest]


def step_form(step: Step, *, intake: IntakeForm, data: Mapping[str, Any] | None = None) -> Any:
    """The bound (with ``data``) or draft-filled form of a step."""
    initial = intake.answers.get(step.key)
    if step.key == "about" and initial is None:
        # What the clinic already knows, for the patient to confirm.
        patient = intake.patient
        initial = {
            name: getattr(patient, name)
            for name in ("preferred_name", "mobile", "address", "time_zone", "reminder_channel")
        }
    if step.key == "medications":
        rows = (initial or {}).get("medications", [])
        formset_class = forms.formset_factory(
            intake_forms.MedicationForm,
            formset=intake_forms.BaseMedicationFormSet,
            extra=2 if rows else 3,
            max_num=intake_forms.MEDICATION_ROWS_MAX,
            validate_max=True,
        )
        return formset_class(data=data, initial=rows, prefix="medications")
    if step.instrument_key:
        return intake_forms.InstrumentForm(
            data=data, initial=initial, instrument=INSTRUMENTS[step.instrument_key]
        )
    if step.key == "consents":
        return intake_forms.ConsentsForm(
            data=data,
            initial={"typed_name": (initial or {}).get("typed_name", "")},
            documents=consent_documents(),
            legal_name=intake.patient.legal_name,
        )
    assert step.form_class is not None  # noqa: S101  (every other step has a form)
    return step.form_class(data=data, initial=initial)


@dataclass(frozen=True)
class Section:
    step: Step
    rows: list[tuple[str, str]]


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    choices = getattr(field, "choices", None)
    if choices:
        for key, label in choices:
            if str(key) == str(value):
                return str(label)
    return str(value)


def answers_display(answers: Answers) -> list[Section]:
    """The answers as question and answer text, step by step, for the review and summary pages."""
    sections = []
    for step in steps_for(answers):
        data = answers.get(step.key) or {}
        rows: list[tuple[str, str]] = []
        if step.key == "medications":
            rows = [
                (row["name"], f"{row['dose']}, {row['frequency']}")
                for row in data.get("medications", [])
            ] or [("Current medications", "None")]
        elif step.key == "consents":
            rows = [("Signed as", str(data.get("typed_name", "—")))] + [
                (ConsentKind(kind).label, f"Agreed (version {version})")
                for kind, version in data.get("versions", {}).items()
            ]
        else:
            if step.instrument_key:
                fields = intake_forms.InstrumentForm(
                    instrument=INSTRUMENTS[step.instrument_key]
                ).fields
            else:
                assert step.form_class is not None  # noqa: S101  (every other step has a form)
                fields = step.form_class().fields
            rows = [
                (str(field.label), _display(field, data.get(name)))
                for name, field in fields.items()
                if data.get(name) not in (None, "")
            ]
        sections.append(Section(step, rows))
    return sections
