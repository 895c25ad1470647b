"""Set-up sections registered by the apps: protocols, dosing policy, intake policy, note
templates and reflection prompts, listed on the set-up index and edited by clinic admins only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from integration.models import NoteTemplate, ReflectionPrompt
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions.models import DosingPolicy, Protocol
from tests.factories import ProtocolFactory

pytestmark = pytest.mark.django_db

SECTION_PAGES = [
    "/sessions/setup/protocols/",
    "/sessions/setup/protocols/new/",
    "/sessions/setup/dosing-policy/",
    "/integration/setup/note-templates/",
    "/integration/setup/note-templates/new/",
    "/integration/setup/reflection-prompts/",
    "/integration/setup/reflection-prompts/new/",
]


def test_the_set_up_index_lists_every_apps_section(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    page = client.get("/setup/").content.decode()
    for title in (
        "Organisation",
        "Staff and credentials",
        "Locations and rooms",
        "Protocols",
        "Dosing policy",
        "Intake policy",
        "Note templates",
        "Reflection prompts",
    ):
        assert f">{title}</a>" in page, title


@pytest.mark.parametrize("path", SECTION_PAGES)
def test_only_clinic_admins_open_the_sections(
    client: Client,
    path: str,
    clinic_admin: User,
    front_desk: User,
    therapist: User,
    prescriber: User,
    patient_user: User,
) -> None:
    client.force_login(clinic_admin)
    assert client.get(path).status_code == 200
    for user in (front_desk, therapist, prescriber, patient_user):
        client.force_login(user)
        assert client.get(path).status_code == 403
        assert client.post(path, {}).status_code == 403


def _protocol_data(protocol: Protocol, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        field: getattr(protocol, field)
        for field in [
            "name",
            "drug",
            "route",
            "dose_rule",
            "dose_minimum",
            "dose_maximum",
            "dose_default",
            "dosing_sessions",
            "minimum_spacing_hours",
            "planned_interval_days",
            "preparation_minutes",
            "dosing_minutes",
            "integration_minutes",
            "administration_minutes",
            "vitals_every_minutes_during",
            "vitals_every_minutes_after",
            "blood_pressure_check_minutes",
            "minimum_monitoring_minutes",
            "source",
        ]
    }
    data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_maximum": "20"}, "dose_maximum", "below the lowest dose"),
        ({"dose_default": "90"}, "dose_default", "between the lowest and highest"),
        ({"minimum_monitoring_minutes": 60}, "minimum_monitoring_minutes", "at least 120 minutes"),
    ],
)
def test_a_protocol_that_breaks_its_rules_is_refused_on_the_field(
    client: Client, clinic_admin: User, changes: dict, field: str, message: str
) -> None:
    protocol = ProtocolFactory(esketamine=True)
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/setup/protocols/{protocol.uuid}/", _protocol_data(protocol, **changes)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    protocol.refresh_from_db()
    assert (protocol.dose_maximum, protocol.minimum_monitoring_minutes) == (Decimal("84"), 120)


def test_a_protocol_change_is_saved_and_audited(client: Client, clinic_admin: User) -> None:
    protocol = ProtocolFactory(esketamine=True)
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/setup/protocols/{protocol.uuid}/",
        _protocol_data(protocol, dosing_sessions=10),
    )
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.dosing_sessions == 10
    event = AuditEvent.objects.get(object_id=str(protocol.uuid))
    assert (event.actor, event.detail) == (clinic_admin, "protocol changed")


def test_the_dosing_policy_is_edited_in_the_app(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    policy = DosingPolicy.current()
    data = {
        "predose_systolic_maximum": 150,
        "predose_diastolic_maximum": 95,
        "fasting_solids_hours": 6,
        "clear_liquids_hours": 2,
        "no_driving_text": policy.no_driving_text,
        "discharge_systolic_margin": 20,
        "integration_prompt_time": "19:00",
        "next_morning_checkin_time": "09:00",
    }
    assert client.post("/sessions/setup/dosing-policy/", data).status_code == 302
    assert DosingPolicy.current().predose_systolic_maximum == 150
    bad = client.post("/sessions/setup/dosing-policy/", {**data, "fasting_solids_hours": "-1"})
    assert "fasting_solids_hours" in bad.context["form"].errors


def test_a_second_default_note_template_is_refused_on_its_field(
    client: Client, clinic_admin: User
) -> None:
    NoteTemplate.objects.filter(kind="integration").update(is_default=False)
    NoteTemplate.objects.create(kind="integration", name="Standard", sections="A", is_default=True)
    client.force_login(clinic_admin)
    response = client.post(
        "/integration/setup/note-templates/new/",
        {"kind": "integration", "name": "Second", "sections": "B", "is_default": "on"},
    )
    assert "is the default already" in response.context["form"].errors["is_default"][0]
    assert not NoteTemplate.objects.filter(name="Second").exists()


def test_a_reflection_prompt_is_added_and_audited(client: Client, clinic_admin: User) -> None:
    client.force_login(clinic_admin)
    client.post(
        "/integration/setup/reflection-prompts/new/",
        {"text": "What did you notice in your body?", "is_active": "on"},
    )
    prompt = ReflectionPrompt.objects.get(text="What did you notice in your body?")
    assert AuditEvent.objects.filter(object_id=str(prompt.uuid), action="create").exists()


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize(
    "path", ["/sessions/setup/protocols/", "/integration/setup/reflection-prompts/"]
)
def test_the_section_lists_keep_their_query_count(
    client: Client,
    clinic_admin: User,
    django_assert_max_num_queries: object,
    rows: int,
    path: str,
) -> None:
    for n in range(rows):
        ProtocolFactory(name=f"Protocol {n}")
        ReflectionPrompt.objects.create(text=f"Prompt {n}")
    client.force_login(clinic_admin)
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        response = client.get(path)
    assert response.status_code == 200
    assert response.content.decode().count(">Edit<") >= rows
