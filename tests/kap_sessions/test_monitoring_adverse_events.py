"""Adverse events: CTCAE grade, relatedness, seriousness, outcome, follow-up; serious ones alert."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from kap_clinic.notifications.models import Message
from sessions.models import AdverseEvent, DosingRecord, Severity
from sessions.monitoring.models import AdverseEventFollowUp
from sessions.monitoring.selectors import serious_adverse_events
from sessions.monitoring.services import (
    SERIOUS_ADVERSE_EVENT_TEMPLATE,
    adverse_event_follow_up_done,
    adverse_event_report,
)

pytestmark = pytest.mark.django_db


def _report(record: DosingRecord, by: User, **overrides: object) -> AdverseEvent:
    record.refresh_from_db()
    values: dict[str, object] = {
        "occurred_at": timezone.now(),
        "description": "Nausea",
        "grade": 1,
        "relatedness": "probable",
        "is_serious": False,
        "outcome": "resolved",
        "action_taken": "Ondansetron 4 mg",
    }
    values.update(overrides)
    return adverse_event_report(record=record, by=by, **values)  # type: ignore[arg-type]


def test_an_adverse_event_keeps_its_grade_relatedness_and_outcome_and_a_follow_up(
    record: DosingRecord, therapist: User
) -> None:
    event = _report(
        record, therapist, grade=2, follow_up="Call tomorrow", follow_up_due_on=date(2030, 1, 2)
    )
    event.refresh_from_db()
    assert (event.grade, event.relatedness, event.outcome) == (2, "probable", "resolved")
    assert (event.is_serious, event.severity) == (False, Severity.MODERATE)
    follow_up = AdverseEventFollowUp.objects.get(adverse_event=event)
    assert (follow_up.task, follow_up.due_on) == ("Call tomorrow", date(2030, 1, 2))
    assert AuditEvent.objects.filter(detail="adverse event", actor=therapist).exists()
    assert not Message.objects.filter(template_key=SERIOUS_ADVERSE_EVENT_TEMPLATE).exists()
    assert serious_adverse_events(record) == []
    adverse_event_follow_up_done(follow_up=follow_up, by=therapist)
    follow_up.refresh_from_db()
    assert follow_up.done_by == therapist
    with pytest.raises(ValidationError, match="already done"):
        adverse_event_follow_up_done(follow_up=follow_up, by=therapist)


def test_a_serious_event_sends_an_urgent_message_and_fills_the_rems_field(
    record: DosingRecord, therapist: User, prescriber: User, client: Client
) -> None:
    event = _report(record, therapist, grade=3, is_serious=True, description="Syncope, admitted")
    message = Message.objects.get(template_key=SERIOUS_ADVERSE_EVENT_TEMPLATE)
    assert (message.recipient_user, message.urgent) == (prescriber, True)
    assert message.refs == {"record": str(record.uuid)}
    assert serious_adverse_events(record) == [event]
    assert event.severity == Severity.SERIOUS


def test_grades_4_and_5_are_serious_by_definition(record: DosingRecord, therapist: User) -> None:
    event = _report(record, therapist, grade=4, is_serious=False, outcome="ongoing")
    assert event.is_serious
    assert Message.objects.filter(template_key=SERIOUS_ADVERSE_EVENT_TEMPLATE).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("grade", 6, "grade from 1 to 5"),
        ("relatedness", "maybe", "how related"),
        ("outcome", "", "outcome"),
    ],
)
def test_an_event_without_a_valid_grade_relatedness_or_outcome_is_refused(
    record: DosingRecord, therapist: User, field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _report(record, therapist, **{field: value})
    assert not AdverseEvent.objects.exists()


def test_the_page_records_an_event_and_shows_field_errors(
    client: Client, record: DosingRecord, therapist: User
) -> None:
    client.force_login(therapist)
    url = f"/sessions/dosing/{record.uuid}/adverse-events/report/"
    data = {
        "event-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "event-description": "Vomiting",
        "event-grade": "",
        "event-relatedness": "possible",
        "event-outcome": "resolving",
        "event-action_taken": "Ondansetron",
        "event-follow_up": "Phone check tomorrow",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert refused.context["adverse_event_report_form"].errors["grade"]
    assert not AdverseEvent.objects.exists()
    assert client.post(url, {**data, "event-grade": "2"}).status_code == 302
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert "Grade 2 · Moderate" in page
    assert "Follow-up: Phone check tomorrow" in page


def test_the_rems_form_reports_a_serious_event(
    client: Client, record: DosingRecord, prescriber: User, therapist: User
) -> None:
    _report(record, therapist, grade=3, is_serious=True, description="Severe hypertension")
    protocol = record.course.protocol
    protocol.rems_form_required = True
    protocol.save(update_fields=["rems_form_required"])
    client.force_login(prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/rems/")
    assert page.status_code == 200
    fields = {field.label: field for field in page.context["fields"]}
    assert "Severe hypertension" in fields["Serious adverse events"].value
