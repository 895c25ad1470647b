"""Esketamine REMS: enrolment before the first dose, the monitoring form filled from the dosing
record and signed by the prescriber, deadlines, reminders and submission (issue #16, 1-3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditEvent
from kap_clinic.chart import chart_badges
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message, MessageStatus
from sessions import dosing
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CertificationKind,
    Course,
    DoseAdministration,
    DosingRecord,
    DosingStatus,
    Drug,
    Location,
    Protocol,
    Room,
    Route,
    SiteCertification,
)
from sessions.rems import services as rems
from sessions.rems.models import RemsEnrolment, RemsForm, RemsFormState
from sessions.rems.selectors import rems_form_state
from sessions.rems.tasks import rems_reminders_send_task
from tests.factories import CourseFactory, UserFactory
from tests.kap_sessions.conftest import NEW_YORK, at
from tests.kap_sessions.test_dosing import _discharge, checked_in, started

pytestmark = pytest.mark.django_db


def _enrol(patient: Patient, by: User, rems_id: str = "RP-0001") -> RemsEnrolment:
    return rems.rems_enrol(
        patient=patient,
        rems_patient_id=rems_id,
        enrolled_on=timezone.localdate() - timedelta(days=3),
        by=by,
    )


def _certify(location: Location, *, expires_on: date) -> SiteCertification:
    return SiteCertification.objects.create(
        location=location,
        kind=CertificationKind.ESKETAMINE_REMS,
        number=f"REMS-{expires_on:%Y%m%d}",
        issuer="Spravato REMS",
        issued_on=expires_on - timedelta(days=700),
        expires_on=expires_on,
    )


@pytest.fixture
def unenrolled_course(
    cleared_patient: Patient,
    esketamine_protocol: Protocol,
    clinic: Location,
    prescriber: User,
    therapist: User,
    front_desk: User,
) -> Course:
    """An esketamine course of a patient not yet enrolled, at a clinic certified today."""
    _certify(clinic, expires_on=timezone.localdate() + timedelta(days=200))
    return CourseFactory(
        patient=cleared_patient,
        protocol=esketamine_protocol,
        location=clinic,
        prescriber=prescriber,
        therapist=therapist,
        planned_dose=56,
        created_by=front_desk,
    )


# --- 1. Enrolment ------------------------------------------------------------------------------


def test_an_enrolment_is_recorded_with_who_and_when_and_audited(
    cleared_patient: Patient, prescriber: User
) -> None:
    enrolment = _enrol(cleared_patient, prescriber)
    assert (enrolment.rems_patient_id, enrolment.recorded_by) == ("RP-0001", prescriber)
    event = AuditEvent.objects.get(object_id=str(enrolment.uuid))
    assert (event.actor, event.detail) == (prescriber, "REMS enrolment")


def test_a_second_enrolment_with_the_same_rems_id_is_refused_whatever_its_case(
    cleared_patient: Patient, other_patient: Patient, prescriber: User
) -> None:
    _enrol(cleared_patient, prescriber, "RP-0001")
    with pytest.raises(ValidationError, match="already recorded for another patient"):
        _enrol(other_patient, prescriber, " rp-0001 ")
    with pytest.raises(ValidationError, match="already recorded"):
        _enrol(cleared_patient, prescriber, "RP-0002")
    assert RemsEnrolment.objects.count() == 1


def test_the_enrolment_page_refuses_a_duplicate_id_with_a_message_and_saves_nothing(
    client: Client, cleared_patient: Patient, other_patient: Patient, clinic_admin: User
) -> None:
    _enrol(cleared_patient, clinic_admin, "RP-0001")
    client.force_login(clinic_admin)
    response = client.post(
        f"/sessions/patients/{other_patient.uuid}/rems-enrolment/",
        {"rems_patient_id": "RP-0001", "enrolled_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "already recorded for another patient" in response.content.decode()
    assert not RemsEnrolment.objects.filter(patient=other_patient).exists()


def test_only_prescribers_and_clinic_admins_enrol_and_never_in_the_future(
    cleared_patient: Patient, therapist: User, front_desk: User, prescriber: User
) -> None:
    for user in (therapist, front_desk):
        with pytest.raises(ValidationError, match="Only a prescriber or a clinic admin"):
            _enrol(cleared_patient, user)
    with pytest.raises(ValidationError, match="cannot be in the future"):
        rems.rems_enrol(
            patient=cleared_patient,
            rems_patient_id="RP-9",
            enrolled_on=timezone.localdate() + timedelta(days=2),
            by=prescriber,
        )
    assert not RemsEnrolment.objects.exists()


def test_an_esketamine_dose_does_not_start_without_the_enrolment(
    unenrolled_course: Course, room: Room, front_desk: User, prescriber: User
) -> None:
    record = checked_in(unenrolled_course, room, front_desk)
    with pytest.raises(ValidationError, match="not enrolled in the esketamine REMS"):
        dosing.dosing_start(record=record, by=prescriber)
    record.refresh_from_db()
    assert record.status == DosingStatus.CHECKED_IN
    _enrol(unenrolled_course.patient, prescriber)
    assert dosing.dosing_start(record=record, by=prescriber).status == DosingStatus.IN_PROGRESS


def test_an_esketamine_dose_does_not_start_when_the_site_certification_has_expired(
    unenrolled_course: Course, room: Room, front_desk: User, prescriber: User
) -> None:
    _enrol(unenrolled_course.patient, prescriber)
    SiteCertification.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
    record = checked_in(unenrolled_course, room, front_desk)
    with pytest.raises(ValidationError, match="no esketamine REMS healthcare-setting"):
        dosing.dosing_start(record=record, by=prescriber)
    # The dosing page shows the reason, not an error page.
    client = Client()
    client.force_login(prescriber)
    response = client.post(f"/sessions/dosing/{record.uuid}/start/")
    assert "healthcare-setting certification" in response.content.decode()
    record.refresh_from_db()
    assert record.status == DosingStatus.CHECKED_IN


def test_booking_an_esketamine_session_without_enrolment_warns_on_the_confirmation_and_page(
    client: Client,
    unenrolled_course: Course,
    room: Room,
    front_desk: User,
    prescriber: User,
    therapist: User,
) -> None:
    client.force_login(front_desk)
    response = client.post(
        f"/sessions/patients/{unenrolled_course.patient.uuid}/appointments/new/",
        {
            "kind": AppointmentKind.DOSING,
            "room": room.pk,
            "starts_at": "2027-01-04T09:30",
            "duration_minutes": 150,
            "course": unenrolled_course.pk,
            "medical_monitor": prescriber.pk,
            "therapist": therapist.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("is not enrolled in the esketamine REMS") == 2  # message and page
    appointment = Appointment.objects.get()
    _enrol(unenrolled_course.patient, prescriber)
    page = client.get(f"/sessions/appointments/{appointment.uuid}/").content.decode()
    assert "not enrolled in the esketamine REMS" not in page


def test_the_chart_shows_rems_enrolled_or_not_enrolled(
    unenrolled_course: Course, prescriber: User, front_desk: User
) -> None:
    patient = unenrolled_course.patient
    labels = [badge.label for badge in chart_badges(patient=patient, user=front_desk)]
    assert "REMS not enrolled" in labels
    _enrol(patient, prescriber)
    labels = [badge.label for badge in chart_badges(patient=patient, user=prescriber)]
    assert "REMS enrolled" in labels
    assert "REMS not enrolled" not in labels


def test_a_patient_without_esketamine_has_no_rems_badge(course: Course, prescriber: User) -> None:
    assert not [
        b for b in chart_badges(patient=course.patient, user=prescriber) if "REMS" in b.label
    ]


# --- 2. The monitoring form, filled from the record ------------------------------------------


def _discharged(course: Course, room: Room, front_desk: User, therapist: User) -> DosingRecord:
    """An esketamine session: two devices 130 minutes ago, the 40-minute BP, resolved scores,
    concomitant medicines confirmed, discharged now."""
    record = started(course, room, front_desk)
    dosed = timezone.now() - timedelta(minutes=130)
    for device in range(2):
        moment = dosed + timedelta(minutes=5 * device)
        dosing.dose_administer(
            record=record,
            dose_mg="28",
            lot_number="ESK-LOT-9",
            started_at=moment,
            ended_at=moment,
            by=course.prescriber,
        )
    for taken_at in (dosed + timedelta(minutes=40), timezone.now() - timedelta(minutes=2)):
        dosing.vitals_record(
            record=record,
            taken_at=taken_at,
            blood_pressure_systolic=132,
            blood_pressure_diastolic=84,
            heart_rate=72,
            spo2=98,
            by=therapist,
        )
    dosing.scores_record(
        record=record,
        taken_at=timezone.now() - timedelta(minutes=1),
        moaas=5,
        cadss={1: 0, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
        by=therapist,
    )
    return _discharge(record, course.prescriber, concomitant_confirmed=True)


def test_discharge_opens_the_form_filled_from_the_record_due_in_7_days(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    form = RemsForm.objects.get(dosing_record=record)
    today = timezone.localdate(timezone.now(), NEW_YORK)
    assert form.due_on == form.session_date + timedelta(days=7)
    assert form.session_date in (today, today - timedelta(days=1))
    assert rems.rems_form_missing(record) == []
    client.force_login(esketamine_course.prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/rems/").content.decode()
    for text in [
        "56.00 mg (2 devices)",
        "ESK-LOT-9",
        "Minutes on site",
        "arrived",
        "would have been ready to leave without the 2-hour rule",
        "Blood pressure before dosing",
        "124/78 mmHg",
        "Blood pressure about 40 minutes after dosing",
        "Blood pressure before discharge",
        "132/84 mmHg",
        "Concomitant MAOIs",
        "lowest MOAA/S 5",
        "highest CADSS-6 0",
        "Serious adverse events",
        "RP-",  # the REMS patient ID
    ]:
        assert text in page, text


@pytest.mark.parametrize(
    ("gap", "named"),
    [
        ("scores", ["Sedation (MOAA/S ≤ 3)", "Dissociation"]),
        (
            "concomitant",
            [
                "Concomitant benzodiazepines",
                "Concomitant non-benzodiazepine hypnotics",
                "Concomitant psychostimulants",
                "Concomitant MAOIs",
            ],
        ),
        ("peak_bp", ["Blood pressure about 40 minutes after dosing"]),
        ("baseline_bp", ["Blood pressure before dosing"]),
        ("ready_to_leave", ["Time the patient would have been ready to leave"]),
        ("doses", ["Dose", "Lot number(s)"]),
    ],
)
def test_each_missing_field_blocks_the_signature_and_is_named(
    esketamine_course: Course,
    room: Room,
    front_desk: User,
    therapist: User,
    gap: str,
    named: list[str],
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    if gap == "scores":
        record.scores.all().delete()
    elif gap == "concomitant":
        DosingRecord.objects.filter(id=record.id).update(concomitant_confirmed=False)
    elif gap == "peak_bp":
        first = DoseAdministration.objects.filter(dosing_record=record).earliest("started_at")
        record.vitals.filter(taken_at__lt=first.started_at + timedelta(minutes=60)).delete()
    elif gap == "baseline_bp":
        dosing.readiness_for(record.appointment).__class__.objects.filter(
            appointment=record.appointment
        ).update(baseline_systolic=None, baseline_diastolic=None)
    elif gap == "ready_to_leave":
        DosingRecord.objects.filter(id=record.id).update(ready_to_leave_at=None)
    elif gap == "doses":
        DoseAdministration.objects.filter(dosing_record=record).delete()
    record = DosingRecord.objects.get(id=record.id)
    missing = rems.rems_form_missing(record)
    for label in named:
        assert any(m.startswith(label) for m in missing), (label, missing)
    form = RemsForm.objects.get(dosing_record=record)
    with pytest.raises(ValidationError, match=named[0].replace("(", r"\(").replace(")", r"\)")):
        rems.rems_form_sign(
            form=form, signature=esketamine_course.prescriber.full_name, by=record.course.prescriber
        )
    form.refresh_from_db()
    assert form.signed_at is None


def test_the_prescriber_signs_after_a_confirmation_step_and_the_form_is_kept_as_signed(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    prescriber = esketamine_course.prescriber
    client.force_login(prescriber)
    url = f"/sessions/dosing/{record.uuid}/rems/complete/"
    wrong = client.post(url, {"signature": "Someone Else", "confirmed": "yes"})
    assert wrong.status_code == 400
    assert "Type your full name" in wrong.content.decode()
    confirm = client.post(url, {"signature": prescriber.full_name})
    assert confirm.status_code == 200
    assert "Sign the REMS monitoring form?" in confirm.content.decode()
    assert RemsForm.objects.get().signed_at is None
    done = client.post(url, {"signature": prescriber.full_name, "confirmed": "yes"})
    assert done.status_code == 302
    form = RemsForm.objects.get()
    assert (form.signed_by, form.signature) == (prescriber, prescriber.full_name)
    assert ["Dose", "56.00 mg (2 devices)"] in form.fields
    assert AuditEvent.objects.filter(object_id=str(form.uuid), detail="REMS form signed").exists()
    # Signed means kept: a later change to the record does not change the form.
    DosingRecord.objects.filter(id=record.id).update(concomitant_maoi=True)
    page = client.get(f"/sessions/dosing/{record.uuid}/rems/").content.decode()
    assert "Signed by" in page
    with pytest.raises(ValidationError, match="already signed"):
        rems.rems_form_sign(form=form, signature=prescriber.full_name, by=prescriber)


def test_a_therapist_cannot_sign_or_submit(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    form = RemsForm.objects.get()
    with pytest.raises(ValidationError, match="Only a prescriber"):
        rems.rems_form_sign(form=form, signature=therapist.full_name, by=therapist)
    client.force_login(therapist)
    assert client.post(f"/sessions/dosing/{record.uuid}/rems/complete/").status_code == 403
    assert client.get(f"/sessions/dosing/{record.uuid}/rems/").status_code == 403


# --- 3. Submission ----------------------------------------------------------------------------


def test_a_signed_form_is_sent_through_the_console_backend_with_its_pdf_and_recorded(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    prescriber = esketamine_course.prescriber
    form = RemsForm.objects.get()
    with pytest.raises(ValidationError, match="Sign the REMS form before"):
        rems.rems_form_transmit(form=form, by=prescriber)
    rems.rems_form_sign(form=form, signature=prescriber.full_name, by=prescriber)
    client.force_login(prescriber)
    pdf = client.get(f"/sessions/dosing/{record.uuid}/rems/form.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    response = client.post(f"/sessions/dosing/{record.uuid}/rems/send/")
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.confirmation_number.startswith("CONSOLE-")
    assert form.submitted_by == prescriber
    assert form.submitted_on == timezone.localdate(timezone.now(), NEW_YORK)
    assert form.transmitted_by == "console"
    page = client.get(f"/sessions/dosing/{record.uuid}/rems/").content.decode()
    assert form.confirmation_number in page
    again = client.post(f"/sessions/dosing/{record.uuid}/rems/send/")
    assert again.status_code == 400
    assert "already submitted" in again.content.decode()


def test_a_submission_made_elsewhere_is_recorded_with_its_date_and_number(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _discharged(esketamine_course, room, front_desk, therapist)
    prescriber = esketamine_course.prescriber
    form = RemsForm.objects.get()
    rems.rems_form_sign(form=form, signature=prescriber.full_name, by=prescriber)
    client.force_login(prescriber)
    url = f"/sessions/dosing/{record.uuid}/rems/submitted/"
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = client.post(url, {"submitted_on": future, "confirmation_number": "PORTAL-1"})
    assert refused.status_code == 400
    assert "cannot be in the future" in refused.content.decode()
    today = timezone.localdate(timezone.now(), NEW_YORK).isoformat()
    assert (
        client.post(url, {"submitted_on": today, "confirmation_number": "PORTAL-1"}).status_code
        == 302
    )
    form.refresh_from_db()
    assert (form.confirmation_number, form.transmitted_by, form.submitted_by) == (
        "PORTAL-1",
        "recorded",
        prescriber,
    )


# --- 3. Deadlines and reminders ---------------------------------------------------------------


def _form_on(course: Course, room: Room, session_day: date, *, hour: int = 10) -> RemsForm:
    """A discharged esketamine session on ``session_day`` (clinic time) and its form, written
    directly (the dosing-day rules are tested elsewhere)."""
    start = datetime.combine(session_day, time(hour), tzinfo=NEW_YORK)
    appointment = Appointment.objects.create(
        patient=course.patient,
        course=course,
        kind=AppointmentKind.DOSING,
        location=room.location,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        status=AppointmentStatus.COMPLETED,
    )
    record = DosingRecord.objects.create(
        appointment=appointment,
        status=DosingStatus.DISCHARGED,
        arrived_at=start,
        started_at=start,
        discharged_at=start + timedelta(minutes=140),
    )
    DoseAdministration.objects.create(
        dosing_record=record,
        drug=Drug.ESKETAMINE,
        route=Route.INTRANASAL_ESKETAMINE,
        dose_mg=Decimal("28"),
        lot_number="L",
        started_at=start + timedelta(minutes=5),
        ended_at=start + timedelta(minutes=5),
        given_by=course.prescriber,
    )
    return rems.rems_form_open(record=record)


@pytest.mark.parametrize(
    ("local_now", "state"),
    [
        (at(2027, 3, 5, 23, 59), RemsFormState.PENDING),  # day 4
        (at(2027, 3, 6, 0, 1), RemsFormState.DUE_SOON),  # day 5
        (at(2027, 3, 8, 23, 59), RemsFormState.DUE_SOON),  # day 7, the last day
        (at(2027, 3, 9, 0, 0), RemsFormState.OVERDUE),  # day 8
    ],
)
def test_deadline_states_across_the_7_day_boundary_in_the_clinics_zone(
    esketamine_course: Course, room: Room, local_now: datetime, state: RemsFormState
) -> None:
    form = _form_on(esketamine_course, room, date(2027, 3, 1))
    assert form.due_on == date(2027, 3, 8)
    assert rems_form_state(form, now=local_now.astimezone(ZoneInfo("UTC"))) == state


def test_the_deadline_follows_the_clinic_day_across_the_daylight_saving_change(
    esketamine_course: Course, room: Room
) -> None:
    # A dose at 23:30 on 29 Oct 2026 in New York is 30 Oct in UTC; clocks go back on 1 Nov.
    form = _form_on(esketamine_course, room, date(2026, 10, 29), hour=23)
    assert (form.session_date, form.due_on) == (date(2026, 10, 29), date(2026, 11, 5))
    utc = ZoneInfo("UTC")
    # 04:30 UTC on 6 Nov is 23:30 on 5 Nov in New York (EST, UTC-5): still the last day.
    assert rems_form_state(form, now=datetime(2026, 11, 6, 4, 30, tzinfo=utc)) == "due_soon"
    assert rems_form_state(form, now=datetime(2026, 11, 6, 5, 1, tzinfo=utc)) == "overdue"


def test_reminders_go_to_the_prescriber_on_day_5_and_day_7_each_exactly_once(
    esketamine_course: Course, room: Room
) -> None:
    form = _form_on(esketamine_course, room, date(2027, 3, 1))
    day = {n: datetime(2027, 3, 1 + n, 9, tzinfo=NEW_YORK) for n in range(9)}
    assert rems.rems_reminders_send(now=day[4]) == 0
    for _ in range(2):
        rems.rems_reminders_send(now=day[5])
        rems.rems_reminders_send(now=day[6])
    messages = Message.objects.filter(template_key="sessions.rems_form_reminder")
    assert messages.count() == 1
    for _ in range(2):
        rems.rems_reminders_send(now=day[7])
        rems.rems_reminders_send(now=day[8])
    assert messages.count() == 2
    assert {m.idempotency_key.rsplit(":", 1)[1] for m in messages} == {"day5", "day7"}
    for message in messages:
        assert message.recipient_user == esketamine_course.prescriber
        # Ids only: no patient data in the message's references or its text.
        assert message.refs == {"form": str(form.uuid), "day": message.refs["day"]}
        rendered = message_render(message)
        assert rendered is not None
        assert "8 Mar 2027" in rendered.subject
        assert f"/sessions/dosing/{form.dosing_record.uuid}/rems/" in rendered.text
        patient = esketamine_course.patient
        for personal in (patient.legal_last_name, patient.display_name, patient.mrn):
            assert personal not in rendered.text + rendered.subject + rendered.sms


def test_the_beat_task_run_twice_queues_one_reminder_and_none_once_submitted(
    esketamine_course: Course, room: Room
) -> None:
    today = timezone.localdate(timezone.now(), NEW_YORK)
    form = _form_on(esketamine_course, room, today - timedelta(days=5))
    rems_reminders_send_task()
    rems_reminders_send_task()
    message = Message.objects.get(template_key="sessions.rems_form_reminder")
    assert "day5" in message.idempotency_key
    RemsForm.objects.filter(id=form.id).update(
        signed_at=timezone.now(),
        submitted_at=timezone.now(),
        submitted_on=today,
        confirmation_number="X-1",
    )
    form.refresh_from_db()
    other = _form_on(esketamine_course, room, today - timedelta(days=1))
    rems_reminders_send_task()
    assert Message.objects.filter(template_key="sessions.rems_form_reminder").count() == 1
    assert other.state_on(today) == RemsFormState.PENDING


def test_a_submission_cancels_the_reminder_not_yet_sent(
    esketamine_course: Course, room: Room
) -> None:
    today = timezone.localdate(timezone.now(), NEW_YORK)
    form = _form_on(esketamine_course, room, today - timedelta(days=5))
    rems.rems_reminders_send()
    prescriber = esketamine_course.prescriber
    RemsForm.objects.filter(id=form.id).update(signed_at=timezone.now(), signed_by=prescriber)
    rems.rems_form_submission_record(
        form=form, submitted_on=today, confirmation_number="P-2", by=prescriber
    )
    message = Message.objects.get(template_key="sessions.rems_form_reminder")
    assert message.status in (MessageStatus.CANCELLED, MessageStatus.SENT)


# --- The REMS page: counts, access, query budget ----------------------------------------------


def test_the_rems_page_lists_overdue_due_soon_and_pending_forms_with_counts(
    client: Client, esketamine_course: Course, room: Room
) -> None:
    today = timezone.localdate(timezone.now(), NEW_YORK)
    for days_ago in (1, 2, 5, 9):
        _form_on(esketamine_course, room, today - timedelta(days=days_ago))
    client.force_login(esketamine_course.prescriber)
    response = client.get("/sessions/rems/")
    assert response.status_code == 200
    sections = {state.value: len(rows) for state, rows in response.context["sections"]}
    assert sections == {"overdue": 1, "due_soon": 1, "pending": 2, "submitted": 0}
    page = response.content.decode()
    assert 'data-testid="rems-count-overdue">1<' in page
    assert esketamine_course.patient.display_name in page


def test_front_desk_and_therapists_do_not_see_rems_forms_and_admins_see_no_clinical_content(
    client: Client,
    esketamine_course: Course,
    room: Room,
    front_desk: User,
    therapist: User,
    clinic_admin: User,
) -> None:
    form = _form_on(esketamine_course, room, timezone.localdate() - timedelta(days=1))
    record_url = f"/sessions/dosing/{form.dosing_record.uuid}/rems/"
    for user in (front_desk, therapist):
        client.force_login(user)
        assert client.get("/sessions/rems/").status_code == 403
        assert client.get(record_url).status_code == 403
        assert client.get(record_url + "form.pdf").status_code == 403
    client.force_login(clinic_admin)
    response = client.get("/sessions/rems/")
    assert response.status_code == 200
    assert record_url not in response.content.decode()
    assert client.get(record_url).status_code == 403


def test_a_prescriber_outside_the_care_team_gets_404_for_another_patients_form(
    client: Client, esketamine_course: Course, room: Room
) -> None:
    form = _form_on(esketamine_course, room, timezone.localdate() - timedelta(days=1))
    client.force_login(UserFactory(role=Role.PRESCRIBER, full_name="Other Team Prescriber"))
    record_url = f"/sessions/dosing/{form.dosing_record.uuid}/rems/"
    assert client.get(record_url).status_code == 404
    assert client.get(record_url + "form.pdf").status_code == 404
    assert client.post(record_url + "complete/", {"signature": "x"}).status_code == 404
    response = client.get("/sessions/rems/")
    assert response.status_code == 200
    assert esketamine_course.patient.display_name not in response.content.decode()


def test_a_patient_cannot_open_the_rems_pages(
    client: Client, esketamine_course: Course, room: Room
) -> None:
    form = _form_on(esketamine_course, room, timezone.localdate() - timedelta(days=1))
    client.force_login(esketamine_course.patient.user)
    assert client.get("/sessions/rems/").status_code == 403
    assert client.get(f"/sessions/dosing/{form.dosing_record.uuid}/rems/").status_code == 403


@pytest.mark.parametrize("count", [1, 12])
def test_the_rems_page_keeps_its_query_budget(
    client: Client,
    esketamine_course: Course,
    room: Room,
    django_assert_max_num_queries: object,
    count: int,
) -> None:
    today = timezone.localdate(timezone.now(), NEW_YORK)
    for n in range(count):
        _form_on(esketamine_course, room, today - timedelta(days=n))
    client.force_login(esketamine_course.prescriber)
    client.get("/sessions/rems/")  # warm the session and permission caches
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get("/sessions/rems/")
    rows = sum(len(rows) for _, rows in response.context["sections"])
    assert rows == count
