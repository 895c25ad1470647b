"""The patient's wizard through the pages: drafts, order, conditional questions, submit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import IntakeForm, IntakeStatus, Patient, PatientStatus
from intake.wizard import STEP_KEYS
from kap_clinic.audit.models import AuditAction, AuditEvent
from tests.intake.answers import complete_answers

pytestmark = pytest.mark.django_db


def step_url(step: str) -> str:
    return reverse("intake:intake_step", kwargs={"step": step})


def post_data(step: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Form data that a browser would send for the stored answers of ``step``."""
    data = answers[step]
    if step == "medications":
        rows = data["medications"]
        form: dict[str, Any] = {
            "medications-TOTAL_FORMS": str(len(rows)),
            "medications-INITIAL_FORMS": str(len(rows)),
            "medications-MIN_NUM_FORMS": "0",
            "medications-MAX_NUM_FORMS": "20",
        }
        for n, row in enumerate(rows):
            form.update({f"medications-{n}-{key}": value for key, value in row.items()})
        return form
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key == "versions" or value is None or value is False:
            continue
        result[key] = "on" if value is True else str(value)
    return result


@pytest.fixture
def patient_client(client: Client, patient: Patient) -> Client:
    assert patient.user is not None
    client.force_login(patient.user)
    return client


def fill(client: Client, answers: dict[str, Any], steps: list[str]) -> None:
    for step in steps:
        response = client.post(step_url(step), post_data(step, answers))
        assert response.status_code == 302, (step, response.content.decode()[:2000])


def test_a_patient_fills_every_step_reviews_and_submits(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient)
    assert patient_client.get(reverse("intake:intake_resume")).url == step_url("about")
    fill(patient_client, answers, [key for key in STEP_KEYS if key != "cssrs"])
    review = patient_client.get(reverse("intake:intake_review"))
    assert review.status_code == 200
    assert "Feel more present with my family." in review.content.decode()
    response = patient_client.post(reverse("intake:intake_review"))
    assert response.url == reverse("intake:intake_submitted")
    patient.refresh_from_db()
    assert patient.status == PatientStatus.SCREENED
    # A second submit changes nothing and says why.
    again = patient_client.post(reverse("intake:intake_review"), follow=True)
    assert "submitted already" in again.content.decode()
    assert IntakeForm.objects.filter(patient=patient).count() == 1
    # The patient can read, not edit, what they sent.
    edit = patient_client.post(step_url("about"), post_data("about", answers), follow=True)
    assert "here is what you sent" in edit.content.decode()
    intake = IntakeForm.objects.get(patient=patient)
    assert intake.status == IntakeStatus.SUBMITTED
    assert AuditEvent.objects.filter(action=AuditAction.READ, object_id=str(intake.uuid)).exists()


def test_each_step_saves_a_draft_and_resume_opens_the_next_one(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, ["about", "providers"])
    intake = IntakeForm.objects.get(patient=patient)
    assert set(intake.answers) == {"about", "providers"}
    assert patient_client.get(reverse("intake:intake_resume")).url == step_url("medical")
    # Going back shows the saved answers.
    page = patient_client.get(step_url("about")).content.decode()
    assert 'value="555-0100"' in page


def test_back_keeps_the_answers_of_the_step(patient_client: Client, patient: Patient) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, ["about"])
    data = post_data("providers", answers) | {"back": "1"}
    response = patient_client.post(step_url("providers"), data)
    assert response.url == step_url("about")
    assert "providers" in IntakeForm.objects.get(patient=patient).answers


def test_a_step_reached_out_of_order_redirects_and_saves_nothing(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient)
    response = patient_client.post(step_url("phq9"), post_data("phq9", answers), follow=True)
    assert "complete the steps in order" in response.content.decode()
    assert IntakeForm.objects.get(patient=patient).answers == {}


def test_an_unknown_step_is_404(patient_client: Client) -> None:
    assert patient_client.get(step_url("nonsense")).status_code == 404


def test_a_conditional_question_is_required_only_when_called_for(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, ["about", "providers"])
    data = post_data("medical", answers) | {"hypertension": "yes"}
    response = patient_client.post(step_url("medical"), data)
    assert response.status_code == 200
    assert "Please answer this question." in response.content.decode()
    assert "medical" not in IntakeForm.objects.get(patient=patient).answers
    response = patient_client.post(step_url("medical"), data | {"hypertension_controlled": "yes"})
    assert response.status_code == 302


def test_out_of_range_answers_are_refused(patient_client: Client, patient: Patient) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, STEP_KEYS[:7])
    response = patient_client.post(step_url("phq9"), post_data("phq9", answers) | {"item3": "7"})
    assert response.status_code == 200
    assert "phq9" not in IntakeForm.objects.get(patient=patient).answers
    data = post_data("medical", answers) | {"height_cm": "20"}
    assert patient_client.post(step_url("medical"), data).status_code == 200


def test_the_cssrs_step_appears_only_after_phq9_item9_above_zero(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient, phq9={"item9": 1})
    fill(patient_client, answers, STEP_KEYS[:10])
    assert patient_client.get(reverse("intake:intake_resume")).url == step_url("cssrs")
    response = patient_client.post(step_url("cssrs"), {"q1": "1", "q2": "1", "q6": "0"})
    assert response.status_code == 200  # q3-q5 are required after q2 "yes"
    response = patient_client.post(
        step_url("cssrs"), {"q1": "1", "q2": "1", "q3": "0", "q4": "0", "q5": "0", "q6": "0"}
    )
    assert response.url == step_url("consents")


def test_without_phq9_item9_the_cssrs_step_is_skipped(
    patient_client: Client, patient: Patient
) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, STEP_KEYS[:10])
    assert patient_client.get(reverse("intake:intake_resume")).url == step_url("consents")
    assert patient_client.get(step_url("cssrs")).status_code == 302


def test_medications_need_dose_and_frequency(patient_client: Client, patient: Patient) -> None:
    answers = complete_answers(
        patient, medications={"medications": [{"name": "Sertraline", "dose": "", "frequency": ""}]}
    )
    fill(patient_client, answers, STEP_KEYS[:3])
    response = patient_client.post(step_url("medications"), post_data("medications", answers))
    assert response.status_code == 200
    assert "Please give the dose" in response.content.decode()


def test_consent_needs_the_typed_legal_name(patient_client: Client, patient: Patient) -> None:
    answers = complete_answers(patient)
    fill(patient_client, answers, [key for key in STEP_KEYS if key not in ("cssrs", "consents")])
    data = post_data("consents", answers) | {"typed_name": "Someone Else"}
    response = patient_client.post(step_url("consents"), data)
    assert response.status_code == 200
    assert "consents" not in IntakeForm.objects.get(patient=patient).answers


def test_a_review_before_every_step_is_done_goes_back_to_the_missing_step(
    patient_client: Client,
) -> None:
    response = patient_client.get(reverse("intake:intake_review"))
    assert response.url == step_url("about")
    response = patient_client.post(reverse("intake:intake_review"), follow=True)
    assert "Please complete every step" in response.content.decode()


def test_staff_cannot_open_the_patient_wizard(client: Client, therapist: object) -> None:
    client.force_login(therapist)  # type: ignore[arg-type]
    assert client.get(step_url("about")).status_code == 403
