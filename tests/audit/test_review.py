"""The audit review page, its CSV export and the per-patient access report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from kap_clinic.audit.services import audit_record
from sessions.models import Course
from tests.factories import CourseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _course_reads(course: Course, actor: User, count: int) -> None:
    for _ in range(count):
        audit_record(action=AuditAction.READ, actor=actor, obj=course, detail="course")


def test_the_review_filters_by_patient_and_shows_names_not_ids(
    client: Client, clinic_admin: User, therapist: User, patient: Patient, other_patient: Patient
) -> None:
    course = CourseFactory(patient=patient, prescriber=patient.prescriber, therapist=therapist)
    other_course = CourseFactory(patient=other_patient)
    _course_reads(course, therapist, 1)
    _course_reads(other_course, therapist, 1)
    client.force_login(clinic_admin)
    content = client.get(reverse("audit:event_list"), {"patient": str(patient.uuid)}).content
    page = content.decode()
    assert "Course of" in page
    assert f">{patient.display_name} (MRN {patient.mrn})</a>" in page
    assert "Test Therapist" in page
    assert str(other_course.uuid) not in page
    assert other_patient.legal_last_name not in page


def test_the_review_filters_by_user_action_record_and_dates(
    client: Client, clinic_admin: User, therapist: User, prescriber: User, patient: Patient
) -> None:
    course = CourseFactory(patient=patient, prescriber=prescriber, therapist=therapist)
    _course_reads(course, therapist, 2)
    audit_record(action=AuditAction.UPDATE, actor=prescriber, obj=course, detail="changed")
    client.force_login(clinic_admin)
    url = reverse("audit:event_list")

    def count(**query: str) -> int:
        response = client.get(url, query)
        assert response.status_code == 200
        return len(response.context["page"].object_list)

    assert count(user="Test Therapist", object_type="kap_sessions.course") == 2
    assert count(user=prescriber.email, action="update") == 1
    assert count(object_id=str(course.uuid)) == 3
    today = datetime.now(tz=UTC).date().isoformat()
    assert count(date_from=today, date_to=today, object_type="kap_sessions.course") == 3
    assert count(date_from="2001-01-01", date_to="2001-01-02") == 0
    bad = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()


@pytest.mark.parametrize("rows", [1, 40])
def test_the_review_holds_its_query_budget(
    client: Client,
    clinic_admin: User,
    therapist: User,
    rows: int,
    django_assert_max_num_queries: object,
) -> None:
    for _ in range(rows):
        patient = PatientFactory(therapist=therapist)
        _course_reads(CourseFactory(patient=patient, therapist=therapist), therapist, 1)
        audit_record(action=AuditAction.READ, actor=therapist, obj=patient)
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = client.get(reverse("audit:event_list"))
    assert response.status_code == 200


def test_the_export_is_csv_with_names_and_is_itself_audited(
    client: Client, clinic_admin: User, therapist: User, patient: Patient, front_desk: User
) -> None:
    course = CourseFactory(patient=patient, therapist=therapist)
    _course_reads(course, therapist, 2)
    url = reverse("audit:event_export")
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    client.force_login(clinic_admin)
    response = client.get(url, {"patient": str(patient.uuid)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["When", "Who", "Role", "Action"]
    assert len(rows) == 3
    assert rows[1][1] == "Test Therapist"
    assert rows[1][4] == "Course"
    assert rows[1][5] == f"{patient.display_name} (MRN {patient.mrn})"
    export = AuditEvent.objects.get(action=AuditAction.EXPORT, actor=clinic_admin)
    assert f"patient_uuid={patient.uuid}" in export.detail


def test_staff_produce_a_patients_access_report(
    client: Client,
    front_desk: User,
    therapist: User,
    outsider: User,
    patient: Patient,
    other_patient: Patient,
) -> None:
    _course_reads(CourseFactory(patient=patient, therapist=therapist), therapist, 1)
    _course_reads(CourseFactory(patient=other_patient), outsider, 1)
    url = reverse("intake:patient_access_report", args=[patient.uuid])
    client.force_login(front_desk)
    page = client.get(url).content.decode()
    assert "Who accessed this record" in page
    assert "Test Therapist (Therapist)" in page
    assert "Other Team Therapist" not in page
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, actor=front_desk, detail="access report"
    ).exists()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(patient.user)
    assert client.get(url).status_code == 403
