"""The patient chart: header, sections per role, timeline, audit and query budgets."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient, mrn_next
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.chart import (
    ALL_STAFF,
    chart_section_register,
    chart_section_unregister,
    chart_sections_for,
)
from tests.factories import PatientFactory
from tests.intake.chart_data import chart_record

pytestmark = pytest.mark.django_db

SECTIONS = [
    "details",
    "intake",
    "sessions",
    "dosing",
    "notes",
    "measures",
    "reflections",
    "messages",
    "documents",
    "access",
]
# Who may open which section (issue #10: front desk sees demographics, schedule, status and
# messages only; the access log is the clinic admin's).
OPEN_TO = {
    "front_desk": {"details", "sessions", "messages"},
    "therapist": set(SECTIONS) - {"access"},
    "prescriber": set(SECTIONS) - {"access", "reflections"},
    "clinic_admin": {"details", "intake", "sessions", "messages", "documents", "access"},
    "patient_user": {"details"},
}


def _section(patient: Patient, key: str) -> str:
    return reverse("intake:chart_section", args=[patient.uuid, key])


def _overview(patient: Patient) -> str:
    return reverse("intake:patient_detail", args=[patient.uuid])


@pytest.fixture
def record(patient: Patient) -> Patient:
    chart_record(patient)
    return patient


@pytest.mark.parametrize("who", sorted(OPEN_TO))
def test_each_role_opens_only_its_sections(
    request: pytest.FixtureRequest, client: Client, record: Patient, who: str
) -> None:
    client.force_login(request.getfixturevalue(who))
    for key in SECTIONS:
        expected = 200 if key in OPEN_TO[who] else 403
        assert client.get(_section(record, key)).status_code == expected, key
    page = client.get(_overview(record))
    assert page.status_code == 200
    tabs = page.content.decode()
    for key in SECTIONS:
        assert (_section(record, key) in tabs) == (key in OPEN_TO[who]), key


@pytest.mark.parametrize("who", ["outsider", "other_patient_user"])
def test_an_outsider_clinician_and_another_patient_get_404_everywhere(
    request: pytest.FixtureRequest, client: Client, record: Patient, who: str
) -> None:
    if who == "outsider":
        user = request.getfixturevalue("outsider")
    else:
        user = request.getfixturevalue("other_patient").user
    client.force_login(user)
    assert client.get(_overview(record)).status_code == 404
    for key in SECTIONS:
        assert client.get(_section(record, key)).status_code == 404, key


def test_an_unknown_section_is_404(client: Client, record: Patient, therapist: User) -> None:
    client.force_login(therapist)
    assert client.get(_section(record, "no-such-section")).status_code == 404


def test_the_header_shows_who_the_patient_is_and_their_alerts(
    client: Client, record: Patient, therapist: User
) -> None:
    Patient.objects.filter(pk=record.pk).update(preferred_name="Sam", pronouns="they/them")
    client.force_login(therapist)
    page = client.get(_section(record, "notes")).content.decode()
    assert record.legal_name in page
    assert "goes by Sam" in page
    assert "(they/them)" in page
    assert record.mrn in page
    assert therapist.full_name in page
    assert "Allergies" in page
    assert "Adverse event" in page


def test_front_desk_sees_no_clinical_badges(
    client: Client, record: Patient, front_desk: User
) -> None:
    client.force_login(front_desk)
    page = client.get(_overview(record)).content.decode()
    assert record.mrn in page
    assert "Allergies" not in page
    assert "Adverse event" not in page
    assert "Dose given" not in page
    assert "note signed" not in page


def test_every_section_read_is_audited(client: Client, record: Patient, therapist: User) -> None:
    client.force_login(therapist)
    for key in OPEN_TO["therapist"]:
        client.get(_section(record, key))
    client.get(_overview(record))
    details = set(
        AuditEvent.objects.filter(
            actor=therapist, object_type="intake.patient", object_id=str(record.uuid)
        ).values_list("detail", flat=True)
    )
    assert {f"chart: {key}" for key in OPEN_TO["therapist"]} | {"chart: overview"} <= details


def test_the_access_log_names_who_opened_the_chart(
    client: Client, record: Patient, front_desk: User, clinic_admin: User
) -> None:
    client.force_login(front_desk)
    client.get(_overview(record))
    client.force_login(clinic_admin)
    page = client.get(_section(record, "access")).content.decode()
    assert front_desk.full_name in page
    assert "chart: overview" in page


def test_the_timeline_lists_each_kind_once_newest_first(
    client: Client, record: Patient, prescriber: User
) -> None:
    client.force_login(prescriber)
    response = client.get(_overview(record))
    events = response.context["events"]
    kinds = [event.kind for event in events]
    for kind in [
        "intake.invitation",
        "intake.submitted",
        "intake.finding",
        "sessions.course",
        "sessions.appointment",
        "sessions.dose",
        "integration.note_signed",
        "integration.measure_answered",
        "notifications.message_sent",
    ]:
        assert kinds.count(kind) >= 1, kind
    for kind in ["intake.invitation", "intake.submitted", "sessions.course", "sessions.dose"]:
        assert kinds.count(kind) == 1, kind
    # Two appointments (a dosing and an integration session), each once.
    assert kinds.count("sessions.appointment") == 2
    assert [event.at for event in events] == sorted((e.at for e in events), reverse=True)
    page = response.content.decode()
    for event in events:
        if event.url:
            assert event.url in page


def test_an_app_adds_a_section_without_the_chart_knowing_it(
    client: Client, record: Patient, front_desk: User
) -> None:
    chart_section_register(
        key="example-extra",
        title="Example extra",
        roles=ALL_STAFF,
        template="intake/chart/documents.html",
        context=lambda request, patient, user: {"signatures": []},
        order=95,
    )
    try:
        assert "example-extra" in [
            s.key for s in chart_sections_for(patient=record, user=front_desk)
        ]
        client.force_login(front_desk)
        assert client.get(_section(record, "example-extra")).status_code == 200
    finally:
        chart_section_unregister("example-extra")


def test_each_new_patient_gets_the_next_mrn() -> None:
    first = PatientFactory()
    second = PatientFactory()
    assert len(first.mrn) == 6
    assert first.mrn.isdigit()
    assert int(second.mrn) == int(first.mrn) + 1
    assert mrn_next() == str(int(second.mrn) + 1).zfill(6)


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("who", ["therapist", "prescriber", "clinic_admin", "front_desk"])
def test_the_chart_keeps_its_query_count(
    request: pytest.FixtureRequest,
    client: Client,
    patient: Patient,
    who: str,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    chart_record(patient, rows=rows)
    client.force_login(request.getfixturevalue(who))
    for url in [_overview(patient)] + [_section(patient, key) for key in OPEN_TO[who]]:
        # Constant from 1 to 50 rows; the margin covers caches (content types, the organisation)
        # filled by whichever test runs first in the process.
        with django_assert_max_num_queries(30):  # type: ignore[operator]
            assert client.get(url).status_code == 200, url
