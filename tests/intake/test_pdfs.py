"""PDFs of the record render, with the clinic's header, the patient's name and MRN, page numbers."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from intake.models import Patient
from integration.models import Note
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions.models import DosingRecord
from tests.intake.chart_data import chart_record

pytestmark = pytest.mark.django_db


def _text(response: object) -> str:
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"  # type: ignore[index]
    reader = PdfReader(io.BytesIO(response.content))  # type: ignore[attr-defined]
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def record(patient: Patient) -> Patient:
    chart_record(patient)
    return patient


def test_the_chart_summary_pdf_names_the_patient_and_mrn_on_every_page(
    client: Client, record: Patient, prescriber: User, settings: object
) -> None:
    client.force_login(prescriber)
    text = _text(client.get(reverse("intake:chart_summary_pdf", args=[record.uuid])))
    assert record.legal_name in text
    assert f"MRN {record.mrn}" in text
    assert "Page 1 of" in text
    assert "KAP" in text or "Clinic" in text
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(record.uuid)).exists()


def test_the_intake_note_and_dosing_pdfs_render(
    client: Client, record: Patient, prescriber: User, therapist: User
) -> None:
    client.force_login(prescriber)
    text = _text(client.get(reverse("intake:intake_summary_pdf", args=[record.uuid])))
    assert record.legal_name in text
    assert record.mrn in text
    dosing = DosingRecord.objects.get(appointment__patient=record)
    text = _text(client.get(reverse("sessions:dosing_record_pdf", args=[dosing.uuid])))
    assert record.mrn in text
    assert "35.00 mg" in text
    client.force_login(therapist)
    note = Note.objects.get(patient=record)
    Note.objects.filter(pk=note.pk).update(body="Integration themes.\n\n" + "word " * 2000)
    text = _text(client.get(reverse("integration:note_pdf", args=[note.uuid])))
    assert record.legal_name in text
    assert record.mrn in text
    assert "Page 2 of" in text  # a long note wraps onto further pages


def test_front_desk_gets_no_intake_pdf_and_outsiders_get_404(
    client: Client, record: Patient, front_desk: User, outsider: User
) -> None:
    client.force_login(front_desk)
    assert client.get(reverse("intake:intake_summary_pdf", args=[record.uuid])).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("intake:chart_summary_pdf", args=[record.uuid])).status_code == 404


def test_the_pdfs_carry_the_organisations_header_and_each_download_is_audited(
    client: Client, record: Patient, prescriber: User, therapist: User
) -> None:
    from kap_clinic.clinic.models import Organisation

    Organisation.objects.create(
        id=1, legal_name="Synthetic Calm Clinic", address="9 Test Row", phone="555-0111"
    )
    dosing = DosingRecord.objects.get(appointment__patient=record)
    note = Note.objects.get(patient=record)
    downloads = [
        (prescriber, reverse("intake:chart_summary_pdf", args=[record.uuid])),
        (prescriber, reverse("intake:intake_summary_pdf", args=[record.uuid])),
        (prescriber, reverse("sessions:dosing_record_pdf", args=[dosing.uuid])),
        (therapist, reverse("integration:note_pdf", args=[note.uuid])),
    ]
    for user, url in downloads:
        client.force_login(user)
        before = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=user).count()
        text = _text(client.get(url))
        assert "Synthetic Calm Clinic" in text, url
        assert "9 Test Row" in text, url
        assert "555-0111" in text, url
        assert record.legal_name in text, url
        assert record.mrn in text, url
        assert "Page 1 of" in text, url
        after = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=user).count()
        assert after == before + 1, url


def test_another_patient_gets_none_of_the_pdfs(
    client: Client, record: Patient, other_patient: Patient
) -> None:
    dosing = DosingRecord.objects.get(appointment__patient=record)
    note = Note.objects.get(patient=record)
    client.force_login(other_patient.user)  # type: ignore[arg-type]
    for url in (
        reverse("intake:chart_summary_pdf", args=[record.uuid]),
        reverse("intake:intake_summary_pdf", args=[record.uuid]),
        reverse("sessions:dosing_record_pdf", args=[dosing.uuid]),
        reverse("integration:note_pdf", args=[note.uuid]),
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert response.get("Content-Type") != "application/pdf", url
