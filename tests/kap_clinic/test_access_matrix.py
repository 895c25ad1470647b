"""The access matrix: every URL the resolver knows (the admin's included), GET as every role, an
outsider clinician and an anonymous visitor. No answer is a server error, and no one reads a
patient's record who may not: another patient's objects answer 404 (or 403/redirect), never 200.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from intake.models import Alert, Finding, Patient
from integration import services as integration_services
from integration.models import MeasureRequest, Reflection
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.demo import demo_seed
from kap_clinic.notifications.models import Article, Message
from sessions.models import Appointment, Course, DosingRecord, Location, OtherMedication
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<regex>\w+)>[^)]*\)")
# Answers that reveal nothing: a redirect (to sign in), forbidden, not found, method not allowed.
REFUSED = {302, 403, 404, 405}
# Break the glass: the emergency access form names the patient to a clinician outside the team
# (they found the patient by name in a search), by design; it opens nothing until a reason is given.
BY_DESIGN = {("outsider", "patients/<uuid:patient_uuid>/emergency-access/")}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def all_url_patterns() -> list[str]:
    return sorted(set(_patterns(get_resolver())))


@dataclass
class World:
    values: dict[str, str]  # kwarg name -> a value naming the other patient's object
    owned: set[str]  # kwarg names whose value belongs to a patient (a leak if answered 200)
    other_names: list[str]  # the other patient's names: never in a refused role's page
    roles: dict[str, User | None]


def _fill(pattern: str, values: dict[str, str]) -> tuple[str, set[str]]:
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name") or match.group("regex")
        used.add(name)
        return values.get(name, str(uuid.uuid4()))

    path = CONVERTER.sub(replace, pattern)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path, used


@pytest.fixture
def world() -> World:
    demo_seed()
    avery = Patient.objects.get(email="avery.patel@example.org")
    riley = Patient.objects.get(email="riley.chen@example.org")
    course = Course.objects.filter(patient=avery).first()
    appointment = Appointment.objects.filter(patient=avery, kind="dosing").first()
    integration_appointment = Appointment.objects.filter(patient=avery, kind="integration").first()
    assert course is not None
    assert appointment is not None
    assert integration_appointment is not None
    record = DosingRecord.objects.create(appointment=appointment)
    medication = OtherMedication.objects.create(
        dosing_record=record,
        medicine="Ondansetron",
        dose="4 mg",
        route="oral",
        reason="nausea",
        given_at=timezone.now(),
        given_by=avery.prescriber,
    )
    note = integration_services.note_start(appointment=integration_appointment, by=avery.therapist)
    avery_user = UserFactory(role=Role.PATIENT)
    Patient.objects.filter(pk=avery.pk).update(user=avery_user)
    reflection = Reflection.objects.create(
        patient=avery, text="A synthetic reflection.", shared_with_therapist=True
    )
    message = Message.objects.filter(recipient_user__isnull=False).first()
    values = {
        "patient_uuid": str(avery.uuid),
        "recipient_id": str(avery.uuid),
        "recipient_kind": "patient",
        "course_uuid": str(course.uuid),
        "appointment_uuid": str(appointment.uuid),
        "record_uuid": str(record.uuid),
        "medication_uuid": str(medication.uuid),
        "note_uuid": str(note.uuid),
        "reflection_uuid": str(reflection.uuid),
        "location_uuid": str(Location.objects.first().uuid),  # type: ignore[union-attr]
        "step": "about-you",
        "token": "not-a-token",
        "uidb64": "MQ",
        "action": "accept",
        "slug": "x",
        "url": "x",
        "app_label": "intake",
        "content_type_id": "1",
        "object_id": str(avery.pk),
    }
    owned = {
        "patient_uuid",
        "recipient_id",
        "course_uuid",
        "appointment_uuid",
        "record_uuid",
        "medication_uuid",
        "note_uuid",
        "reflection_uuid",
    }
    alert = Alert.objects.filter(patient=riley).first()
    finding = Finding.objects.filter(intake__patient=riley).first()
    if alert:
        values["alert_uuid"] = str(alert.uuid)
        owned.add("alert_uuid")
    if finding:
        values["finding_uuid"] = str(finding.uuid)
        owned.add("finding_uuid")
    if message:
        values["message_uuid"] = str(message.uuid)
    measure = MeasureRequest.objects.filter(patient=avery).first()
    if measure:
        values["uuid"] = str(measure.uuid)
    article = Article.objects.first()
    if article:
        values["article_uuid"] = str(article.uuid)
    demo = {u.role: u for u in User.objects.filter(email__endswith="@kap.example.org")}
    roles: dict[str, User | None] = {
        "patient": demo[Role.PATIENT],
        "other patient": avery_user,
        "front desk": demo[Role.FRONT_DESK],
        "therapist": demo[Role.THERAPIST],
        "prescriber": demo[Role.PRESCRIBER],
        "clinic admin": demo[Role.CLINIC_ADMIN],
        "outsider": UserFactory(role=Role.THERAPIST, full_name="Outside Clinician"),
        "anonymous": None,
        "superuser": User.objects.create_superuser("root@example.org", "x", full_name="Root"),
    }
    return World(
        values=values,
        owned=owned,
        other_names=[avery.legal_last_name, riley.legal_last_name],
        roles=roles,
    )


def test_every_url_answers_every_role_without_a_server_error_or_a_leak(world: World) -> None:
    patterns = all_url_patterns()
    assert len(patterns) > 150
    assert any(p.startswith("admin/") for p in patterns)
    failures: list[str] = []
    for role, user in world.roles.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        # The patient (Jordan) and the outsider may see none of Avery's or Riley's records.
        refused_role = role in {"patient", "outsider", "anonymous"}
        for pattern in patterns:
            path, used = _fill(pattern, world.values)
            response = client.get(path)
            if response.status_code >= 500:
                failures.append(f"{role}: GET {path} -> {response.status_code}")
                continue
            if not refused_role or response.status_code in REFUSED:
                continue
            if (role, pattern) in BY_DESIGN:
                continue
            body = response.content.decode(errors="replace")
            if used & world.owned and response.status_code == 200:
                failures.append(f"{role}: GET {path} -> 200 for another patient's record")
            elif any(name in body for name in world.other_names):
                failures.append(f"{role}: GET {path} shows another patient's name")
    assert not failures, "\n".join(failures[:40])
