"""Find a patient: name (accents, parts of words), MRN, date of birth, phone, email."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jose(therapist: User) -> Patient:
    return PatientFactory(
        legal_first_name="José",
        legal_last_name="Núñez-Ólafsdóttir",
        preferred_name="Pepe",
        date_of_birth=date(1988, 4, 12),
        email="jose.nunez@example.org",
        mobile="(555) 010-7788",
        therapist=therapist,
    )


@pytest.fixture
def namesake() -> Patient:
    """Another José Núñez, born another day: results must tell them apart."""
    return PatientFactory(
        legal_first_name="Jose",
        legal_last_name="Nunez",
        date_of_birth=date(1990, 1, 2),
        email="other.jose@example.org",
    )


def _search(client: Client, term: str) -> list[str]:
    response = client.post(reverse("intake:patient_search"), {"q": term})
    assert response.status_code == 200
    return [patient.mrn for patient, _age in response.context["rows"]]


@pytest.mark.parametrize(
    "term",
    [
        "jose nunez-olaf",
        "NÚÑEZ",
        "olafsdottir",
        "pep",
        "1988-04-12",
        "04/12/1988",
        "12 Apr 1988",
        "12 April 1988",
        "Apr 12, 1988",
        "555-010-7788",
        "(555) 010 7788",
        "+1 555 010 7788",
        "5550107788",
        "jose.nunez@example.org",
        "JOSE.NUNEZ@EXAMPLE.ORG",
    ],
)
def test_each_identifier_form_finds_the_patient(
    client: Client, front_desk: User, jose: Patient, namesake: Patient, term: str
) -> None:
    client.force_login(front_desk)
    assert jose.mrn in _search(client, term)


def test_the_mrn_finds_one_patient_with_or_without_leading_zeros(
    client: Client, front_desk: User, jose: Patient, namesake: Patient
) -> None:
    client.force_login(front_desk)
    assert _search(client, jose.mrn) == [jose.mrn]
    assert _search(client, str(int(jose.mrn))) == [jose.mrn]


def test_results_tell_two_patients_of_one_name_apart(
    client: Client, front_desk: User, jose: Patient, namesake: Patient, therapist: User
) -> None:
    client.force_login(front_desk)
    response = client.post(reverse("intake:patient_search"), {"q": "jose nunez"})
    page = response.content.decode()
    assert page.count('data-testid="search-result"') == 2
    for expected in [jose.mrn, namesake.mrn, "12 Apr 1988", "2 Jan 1990", therapist.full_name]:
        assert expected in page


def test_a_clinician_finds_only_their_patients(
    client: Client, outsider: User, jose: Patient
) -> None:
    client.force_login(outsider)
    assert _search(client, "jose") == []


def test_a_patient_cannot_search(client: Client, patient: Patient) -> None:
    client.force_login(patient.user)
    assert client.post(reverse("intake:patient_search"), {"q": "x"}).status_code == 403


def test_the_search_term_is_neither_logged_nor_audited(
    client: Client, front_desk: User, jose: Patient, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(front_desk)
    with caplog.at_level(logging.DEBUG):
        _search(client, "olafsdottir")
    assert "olafsdottir" not in caplog.text
    assert not AuditEvent.objects.filter(detail__icontains="olafsdottir").exists()
    assert AuditEvent.objects.filter(detail="patient search: 1 found").exists()


def test_staff_pages_carry_the_search_box(client: Client, front_desk: User) -> None:
    client.force_login(front_desk)
    page = client.get(reverse("intake:patient_list")).content.decode()
    assert f'action="{reverse("intake:patient_search")}"' in page
    assert 'id="header-patient-search"' in page


def test_a_changed_name_is_found_under_the_new_name(front_desk: User, jose: Patient) -> None:
    jose.legal_last_name = "Åberg"
    jose.save(update_fields=["legal_last_name"])
    jose.refresh_from_db()
    assert "aberg" in jose.search_text


@pytest.mark.parametrize("rows", [1, 50])
def test_the_search_keeps_its_query_count(
    client: Client, front_desk: User, rows: int, django_assert_max_num_queries: object
) -> None:
    for _ in range(rows):
        PatientFactory(legal_last_name="Samename")
    client.force_login(front_desk)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        assert len(_search(client, "samename")) == rows
