"""Bad input to the API answers 4xx or an empty page, never 500 (issue 17, item 8)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from intake.models import Patient
from kap_clinic.accounts.models import User

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/patients/",
    "/api/v1/appointments/",
    "/api/v1/courses/",
    "/api/v1/dosing-records/",
    "/api/v1/notes/",
    "/api/v1/shared-reflections/",
    "/api/v1/outcome-scores/",
    "/api/v1/notifications/inbox/",
    "/api/v1/notifications/messages/",
    "/api/v1/billing/charges/",
    "/api/v1/billing/payments/",
    "/api/v1/billing/accounts/",
]


QUERIES = [
    {"limit": "99999999999999999999"},
    {"offset": "99999999999999999999999"},
    {"limit": "-5", "offset": "abc"},
]


def test_an_overflowing_limit_or_offset_answers_a_page_not_a_500(
    client: Client, clinic_admin: User, prescriber: User, patient: Patient
) -> None:
    for user in (clinic_admin, prescriber):
        client.force_login(user)
        for path in LISTS:
            for query in QUERIES:
                response = client.get(path, query)
                assert response.status_code in (200, 403), (path, query, response.status_code)
                if response.status_code == 200:
                    assert len(response.json()["results"]) <= 200


def test_a_limit_above_the_maximum_is_capped(
    client: Client, front_desk: User, patient: Patient
) -> None:
    client.force_login(front_desk)
    response = client.get("/api/v1/patients/", {"limit": "100000"})
    assert response.status_code == 200
    assert "limit=200" in (response.json()["next"] or "limit=200")


def test_the_api_has_no_format_suffix_routes(
    client: Client, prescriber: User, patient: Patient
) -> None:
    client.force_login(prescriber)
    for path in ["/api/v1/courses.json", f"/api/v1/patients/{patient.uuid}.json", "/api/v1/.json"]:
        assert client.get(path).status_code == 404
    patterns = [str(p.pattern) for p in get_resolver().url_patterns]
    assert not any("format" in pattern for pattern in patterns)


def test_the_findings_list_is_a_plain_list_as_the_schema_says(
    client: Client, front_desk: User
) -> None:
    client.force_login(front_desk)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    findings = schema["paths"]["/api/v1/patients/{uuid}/findings/"]["get"]
    assert findings["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {"400", "403", "404"} <= set(findings["responses"])
    appointment = schema["components"]["schemas"]["Appointment"]["properties"]
    assert appointment["medical_monitor"].get("nullable") is True
