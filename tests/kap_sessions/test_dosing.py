from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditEvent
from sessions import dosing, services
from sessions.models import (
    AppointmentKind,
    AppointmentStatus,
    Course,
    DosingRecord,
    DosingStatus,
    Readiness,
    Room,
    VitalsEntry,
)
from sessions.services import InvalidTransitionError
from tests.kap_sessions.conftest import NEW_YORK, backdate_check_in, room_emergency_check_complete

pytestmark = pytest.mark.django_db

GOOD_BASELINE = {
    "identity_confirmed": True,
    "consent_current": True,
    "escort_confirmed": True,
    "weight_kg": Decimal("70"),
    "baseline_systolic": 124,
    "baseline_diastolic": 78,
    "baseline_heart_rate": 72,
    "baseline_spo2": 98,
    # Every PHQ-9 item (total 14, item 9 at 0), a negative pregnancy test today.
    "predose_phq9_answers": {f"item{n}": v for n, v in enumerate([2, 2, 2, 2, 2, 2, 1, 1, 0], 1)},
    "pregnancy_test_method": "urine_hcg",
    "pregnancy_test_result": "negative",
}


def checked_in(
    course: Course,
    room: Room,
    front_desk: User,
    *,
    start: datetime | None = None,
    **baseline: object,
) -> DosingRecord:
    start = start or timezone.now() - timedelta(minutes=150)
    if start.astimezone(NEW_YORK).date() != timezone.now().astimezone(NEW_YORK).date():
        # A session on another day needs that day's room emergency checklist too.
        room_emergency_check_complete(room, by=front_desk, on=start)
    appointment = services.appointment_book(
        patient=course.patient,
        kind=AppointmentKind.DOSING,
        room=room,
        starts_at=start,
        ends_at=start + timedelta(minutes=180),
        course=course,
        medical_monitor=course.prescriber,
        therapist=course.therapist,
        by=front_desk,
    )
    readiness = dosing.readiness_for(appointment)
    now = timezone.now()
    dosing.readiness_patient_submit(
        readiness=readiness,
        by=course.patient.user,
        last_ate_at=now - timedelta(hours=8),
        last_drank_at=now - timedelta(hours=3),
        escort_name="Sam Escort",
        escort_phone="555-0100",
        medications_last_24_hours="",
        pregnancy_attestation="not_applicable",
        feeling_today="Calm",
    )
    today = timezone.localdate(timezone.now(), NEW_YORK)
    dosing.readiness_staff_record(
        readiness=readiness,
        by=front_desk,
        **{**GOOD_BASELINE, "pregnancy_test_date": today, **baseline},
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    # Checked in at the appointment's start, so that times since then lie in the session.
    return backdate_check_in(DosingRecord.objects.get(appointment=appointment), start)


def started(course: Course, room: Room, front_desk: User, **baseline: object) -> DosingRecord:
    record = checked_in(course, room, front_desk, **baseline)
    return dosing.dosing_start(record=record, by=course.prescriber)


def test_readiness_complete_means_go_and_the_session_starts(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk)
    assert dosing.readiness_problems(dosing.readiness_for(record.appointment)) == []
    record = dosing.dosing_start(record=record, by=course.prescriber)
    assert record.status == DosingStatus.IN_PROGRESS
    record.appointment.refresh_from_db()
    assert record.appointment.status == AppointmentStatus.IN_PROGRESS


def test_a_blood_pressure_above_140_over_90_is_a_no_go(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=141, baseline_diastolic=85)
    with pytest.raises(ValidationError, match="above 140/90"):
        dosing.dosing_start(record=record, by=course.prescriber)
    record.refresh_from_db()
    assert record.status == DosingStatus.CHECKED_IN


def test_exactly_140_over_90_is_not_above_the_threshold(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=140, baseline_diastolic=90)
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"


def test_a_missing_required_item_is_a_no_go(course: Course, room: Room, front_desk: User) -> None:
    record = checked_in(course, room, front_desk, escort_confirmed=False)
    with pytest.raises(ValidationError, match="Escort not confirmed"):
        dosing.dosing_start(record=record, by=course.prescriber)


def test_a_prescriber_overrides_a_no_go_with_a_reason_and_others_cannot(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=150)
    readiness = dosing.readiness_for(record.appointment)
    code = "baseline_bp_high"
    with pytest.raises(ValidationError, match="Only a prescriber"):
        dosing.readiness_override(readiness=readiness, code=code, reason="white coat", by=therapist)
    with pytest.raises(ValidationError, match="needs a reason"):
        dosing.readiness_override(readiness=readiness, code=code, reason=" ", by=course.prescriber)
    dosing.readiness_override(
        readiness=readiness,
        code=code,
        reason="Known white-coat rise; repeat 132/84",
        by=course.prescriber,
    )
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"


def test_the_policy_threshold_is_the_clinics_to_change(
    course: Course, room: Room, front_desk: User
) -> None:
    from sessions.models import DosingPolicy

    policy = DosingPolicy.current()
    policy.predose_systolic_maximum = 160
    policy.save()
    record = checked_in(course, room, front_desk, baseline_systolic=150)
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"


def test_an_iv_dose_is_recorded_in_mg_and_mg_per_kg_from_todays_weight(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)
    now = timezone.now()
    dose = dosing.dose_administer(
        record=record,
        dose_mg="35",
        lot_number="LOT-123",
        started_at=now - timedelta(minutes=40),
        ended_at=now,
        by=course.prescriber,
        waste_mg="15",
        waste_witnessed_by=therapist,
    )
    assert (dose.dose_mg, dose.dose_mg_per_kg, dose.weight_kg) == (
        Decimal("35"),
        Decimal("0.500"),
        Decimal("70"),
    )
    assert (dose.drug, dose.route) == ("ketamine", "iv")


@pytest.mark.parametrize("dose_mg", ["49", "28"])
def test_a_dose_outside_the_protocols_range_is_refused(
    course: Course, room: Room, front_desk: User, dose_mg: str
) -> None:
    record = started(course, room, front_desk)
    now = timezone.now()
    with pytest.raises(ValidationError, match="outside 0.500-0.500 mg/kg"):
        dosing.dose_administer(
            record=record,
            dose_mg=dose_mg,
            lot_number="L1",
            started_at=now,
            ended_at=now,
            by=course.prescriber,
        )
    assert not record.doses.exists()


def test_waste_needs_a_witness_other_than_the_giver(
    course: Course, room: Room, front_desk: User
) -> None:
    record = started(course, room, front_desk)
    now = timezone.now()
    with pytest.raises(ValidationError, match="witness"):
        dosing.dose_administer(
            record=record,
            dose_mg="35",
            lot_number="L1",
            started_at=now,
            ended_at=now,
            by=course.prescriber,
            waste_mg="5",
            waste_witnessed_by=course.prescriber,
        )


def test_esketamine_is_given_28_mg_per_device_5_minutes_apart_up_to_84_mg(
    esketamine_course: Course, room: Room, front_desk: User
) -> None:
    # Not the first session of the course (that one has its own ceiling).
    esketamine_course.protocol.first_session_dose_maximum = None
    esketamine_course.protocol.save()
    record = started(esketamine_course, room, front_desk)
    prescriber = esketamine_course.prescriber
    start = timezone.now() - timedelta(minutes=30)

    def device(minute: int, mg: str = "28") -> object:
        moment = start + timedelta(minutes=minute)
        return dosing.dose_administer(
            record=record,
            dose_mg=mg,
            lot_number="ESK-9",
            started_at=moment,
            ended_at=moment,
            by=prescriber,
        )

    device(0)
    with pytest.raises(ValidationError, match="5 minutes apart"):
        device(3)
    with pytest.raises(ValidationError, match="Each device gives 28"):
        device(5, mg="56")
    device(5)
    device(10)
    with pytest.raises(ValidationError, match="112.00 mg this session is outside 28.000-84.000"):
        device(15)
    assert dosing.session_dose_mg(record) == Decimal("84")


def test_the_courses_cumulative_dose_adds_up_every_session(
    course: Course, room: Room, room_two: Room, front_desk: User
) -> None:
    from sessions.selectors import course_cumulative_dose_mg

    for when, the_room in ((timezone.now() - timedelta(days=3), room), (None, room_two)):
        record = checked_in(course, the_room, front_desk, start=when)
        dosing.dosing_start(record=record, by=course.prescriber)
        given = record.appointment.starts_at + timedelta(minutes=5)
        dosing.dose_administer(
            record=record,
            dose_mg="35",
            lot_number="L",
            started_at=given,
            ended_at=given,
            by=course.prescriber,
        )
    assert course_cumulative_dose_mg(course) == 70.0


def test_vitals_out_of_physiological_range_are_refused(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)
    with pytest.raises(ValidationError, match="blood_pressure_systolic"):
        dosing.vitals_record(
            record=record,
            taken_at=timezone.now(),
            blood_pressure_systolic=400,
            blood_pressure_diastolic=80,
            heart_rate=70,
            spo2=98,
            by=therapist,
        )
    with pytest.raises(ValidationError, match="spo2"):
        dosing.vitals_record(
            record=record,
            taken_at=timezone.now(),
            blood_pressure_systolic=120,
            blood_pressure_diastolic=80,
            heart_rate=70,
            spo2=101,
            by=therapist,
        )
    assert not VitalsEntry.objects.exists()


def test_a_baseline_out_of_physiological_range_is_refused(
    course: Course, room: Room, front_desk: User
) -> None:
    with pytest.raises(ValidationError, match="outside the physiological range"):
        checked_in(course, room, front_desk, baseline_systolic=400)
    assert Readiness.objects.get().staff_checked_at is None


def test_vitals_cannot_be_recorded_before_the_session_starts(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = checked_in(course, room, front_desk)
    with pytest.raises(InvalidTransitionError):
        dosing.vitals_record(
            record=record,
            taken_at=timezone.now(),
            blood_pressure_systolic=120,
            blood_pressure_diastolic=80,
            heart_rate=70,
            spo2=98,
            by=therapist,
        )


def test_the_vitals_schedule_follows_the_protocol_with_the_40_minute_check_and_flags_overdue(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)
    dosed = timezone.now() - timedelta(minutes=32)
    dosing.dose_administer(
        record=record,
        dose_mg="35",
        lot_number="L",
        started_at=dosed,
        ended_at=dosed + timedelta(minutes=30),
        by=course.prescriber,
    )
    for minute in (0, 10):
        dosing.vitals_record(
            record=record,
            taken_at=dosed + timedelta(minutes=minute),
            blood_pressure_systolic=130,
            blood_pressure_diastolic=80,
            heart_rate=75,
            spo2=97,
            by=therapist,
        )
    schedule = dosing.vitals_schedule(record)
    minutes = [int((due.due_at - dosed).total_seconds() // 60) for due in schedule]
    # Every 10 min during the 40-minute infusion, every 15 after, to 90 minutes.
    assert minutes == [0, 10, 20, 30, 40, 55, 70, 85, 90]
    assert [due.done for due in schedule[:3]] == [True, True, False]
    assert schedule[2].overdue  # 20 minutes, now 32 minutes in
    assert not schedule[3].overdue  # 30 minutes, within the grace
    assert schedule[4].is_peak_blood_pressure
    assert dosing.vitals_next_due(record).due_at == dosed + timedelta(minutes=20)


def test_monitoring_scores_observations_and_adverse_events_are_recorded(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(esketamine_course, room, front_desk)
    now = timezone.now()
    entry = dosing.scores_record(
        record=record,
        taken_at=now,
        moaas=3,
        cadss={1: 2, 2: 1, 6: 0, 7: 1, 15: 0, 22: 2},
        by=therapist,
    )
    assert (entry.cadss6_total, entry.is_sedated) == (6, True)
    with pytest.raises(ValidationError):
        dosing.scores_record(
            record=record,
            taken_at=now,
            moaas=6,
            cadss={1: 0, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
            by=therapist,
        )
    dosing.observation_record(
        record=record, observed_at=now, text="Eyes closed, calm", by=therapist
    )
    event = dosing.adverse_event_record(
        record=record,
        occurred_at=now,
        description="Nausea",
        severity="mild",
        action_taken="Ondansetron offered",
        by=therapist,
    )
    assert event.severity == "mild"


def _discharge(record: DosingRecord, by: User, **overrides: object) -> DosingRecord:
    fields: dict[str, object] = {
        "vitals_near_baseline": True,
        "alert_and_oriented": True,
        "walking_unaided": True,
        "escort_present": True,
        "ready_to_leave_at": timezone.now() - timedelta(minutes=1),
        "summary": "Tolerated well.",
        "missed_vitals_acknowledged": True,
    }
    fields.update(overrides)
    return dosing.dosing_discharge(record=record, by=by, **fields)  # type: ignore[arg-type]


def _dosed(
    course: Course, room: Room, front_desk: User, therapist: User, minutes_ago: int
) -> DosingRecord:
    record = started(course, room, front_desk)
    start = timezone.now() - timedelta(minutes=minutes_ago)
    dosing.dose_administer(
        record=record,
        dose_mg="28",
        lot_number="ESK-1",
        started_at=start,
        ended_at=start,
        by=course.prescriber,
    )
    # The ~40-minute BP check, then a reading and a resolved reassessment just now.
    for taken_at in (start + timedelta(minutes=40), timezone.now()):
        dosing.vitals_record(
            record=record,
            taken_at=taken_at,
            blood_pressure_systolic=128,
            blood_pressure_diastolic=80,
            heart_rate=70,
            spo2=98,
            by=therapist,
        )
    resolved(record, therapist)
    return record


def resolved(record: DosingRecord, therapist: User, **at: datetime) -> None:
    """A sedation and dissociation assessment showing both resolved (MOAA/S 5, CADSS-6 0)."""
    dosing.scores_record(
        record=record,
        taken_at=at.get("taken_at", timezone.now()),
        moaas=5,
        cadss={1: 0, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
        by=therapist,
    )


def test_an_esketamine_patient_cannot_be_discharged_before_120_minutes(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=119)
    with pytest.raises(ValidationError, match="needs at least 120 before discharge"):
        _discharge(record, esketamine_course.prescriber)
    record.refresh_from_db()
    assert record.status == DosingStatus.IN_PROGRESS


def test_discharge_after_120_minutes_with_every_criterion_completes_the_appointment(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=121)
    with pytest.raises(ValidationError, match="escort present"):
        _discharge(record, esketamine_course.prescriber, escort_present=False)
    with pytest.raises(ValidationError, match="Only a prescriber"):
        _discharge(record, therapist)
    record = _discharge(record, esketamine_course.prescriber)
    assert record.status == DosingStatus.DISCHARGED
    assert record.summary == "Tolerated well."
    record.appointment.refresh_from_db()
    assert record.appointment.status == AppointmentStatus.COMPLETED
    with pytest.raises(InvalidTransitionError):
        _discharge(record, esketamine_course.prescriber)


def test_vitals_far_above_baseline_block_discharge(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    dosing.vitals_record(
        record=record,
        taken_at=timezone.now(),
        blood_pressure_systolic=170,
        blood_pressure_diastolic=95,
        heart_rate=80,
        spo2=98,
        by=therapist,
    )
    with pytest.raises(ValidationError, match="more than 20 above baseline"):
        _discharge(record, esketamine_course.prescriber)


def test_another_medicine_given_must_be_explained_before_discharge(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    with pytest.raises(ValidationError, match="Say why"):
        dosing.other_medication_record(
            record=record,
            medicine="Midazolam",
            dose="1 mg",
            route="IV",
            reason="",
            given_at=timezone.now(),
            by=esketamine_course.prescriber,
        )
    medication = dosing.other_medication_record(
        record=record,
        medicine="Midazolam",
        dose="1 mg",
        route="IV",
        reason="Distress during emergence",
        given_at=timezone.now(),
        by=esketamine_course.prescriber,
    )
    with pytest.raises(ValidationError, match="Explain to the patient.*Midazolam"):
        _discharge(record, esketamine_course.prescriber)
    dosing.other_medication_explained(medication=medication, by=therapist)
    assert _discharge(record, esketamine_course.prescriber).status == DosingStatus.DISCHARGED


def test_the_rems_form_shows_every_field_clinical_md_lists(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    dosing.scores_record(
        record=record,
        taken_at=timezone.now() - timedelta(minutes=60),
        moaas=3,
        cadss={1: 1, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
        by=therapist,
    )
    _discharge(
        record,
        esketamine_course.prescriber,
        concomitant_benzodiazepine=True,
        concomitant_confirmed=True,
    )
    client.force_login(esketamine_course.prescriber)
    response = client.get(f"/sessions/dosing/{record.uuid}/rems/")
    assert response.status_code == 200
    page = response.content.decode()
    for label in [
        "28.00 mg",
        "ESK-1",
        "Minutes on site",
        "would have been ready to leave without the 2-hour rule",
        "Concomitant benzodiazepines",
        "Concomitant non-benzodiazepine hypnotics",
        "Concomitant psychostimulants",
        "Concomitant MAOIs",
        "Sedation",
        "Dissociation",
        "Serious adverse events",
    ]:
        assert label in page, label
    assert AuditEvent.objects.filter(object_id=str(record.uuid), detail="REMS form").exists()


def test_the_dosing_page_flow_records_vitals_and_shows_a_clear_error_for_systolic_400(
    client: Client, course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)
    client.force_login(therapist)
    url = f"/sessions/dosing/{record.uuid}/"
    data = {
        "vitals-taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "vitals-blood_pressure_systolic": 400,
        "vitals-blood_pressure_diastolic": 80,
        "vitals-heart_rate": 70,
        "vitals-spo2": 98,
    }
    refused = client.post(url + "vitals/", data)
    assert refused.status_code == 400
    assert "less than or equal to 300" in refused.content.decode()
    accepted = client.post(url + "vitals/", {**data, "vitals-blood_pressure_systolic": 130})
    assert accepted.status_code == 302
    assert VitalsEntry.objects.get().blood_pressure_systolic == 130
    # A therapist may not record doses.
    assert client.post(url + "doses/", {}).status_code == 403


def test_a_session_not_started_can_end_without_dosing_which_cancels_the_appointment(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=170)
    with pytest.raises(ValidationError, match="Only a prescriber"):
        dosing.dosing_abandon(record=record, reason="BP 170/90", by=front_desk)
    dosing.dosing_abandon(record=record, reason="BP 170/90, deferred", by=course.prescriber)
    record.refresh_from_db()
    assert record.status == DosingStatus.ABANDONED
    record.appointment.refresh_from_db()
    assert record.appointment.status == AppointmentStatus.CANCELLED
    assert "BP 170/90" in record.appointment.cancel_reason
    with pytest.raises(InvalidTransitionError):
        dosing.dosing_start(record=record, by=course.prescriber)


def test_a_started_session_cannot_start_again_or_end_without_dosing(
    course: Course, room: Room, front_desk: User
) -> None:
    record = started(course, room, front_desk)
    with pytest.raises(InvalidTransitionError):
        dosing.dosing_start(record=record, by=course.prescriber)
    with pytest.raises(InvalidTransitionError):
        dosing.dosing_abandon(record=record, reason="x", by=course.prescriber)


def test_a_session_without_a_dose_cannot_be_discharged(
    course: Course, room: Room, front_desk: User
) -> None:
    record = started(course, room, front_desk)
    with pytest.raises(ValidationError, match="No dose is recorded"):
        _discharge(record, course.prescriber)


@pytest.mark.parametrize(("born_years_ago", "ceiling"), [(40, 56), (66, 28)])
def test_the_first_esketamine_session_is_capped_at_56_mg_or_28_mg_from_65(
    esketamine_course: Course, room: Room, front_desk: User, born_years_ago: int, ceiling: int
) -> None:
    from datetime import date

    protocol = esketamine_course.protocol
    protocol.first_session_dose_maximum = Decimal("56")
    protocol.first_session_dose_maximum_65_and_over = Decimal("28")
    protocol.save()
    patient = esketamine_course.patient
    patient.date_of_birth = date(timezone.localdate().year - born_years_ago, 1, 1)
    patient.save()
    record = started(esketamine_course, room, front_desk)
    start = timezone.now() - timedelta(minutes=30)

    def device(number: int) -> object:
        moment = start + timedelta(minutes=5 * number)
        return dosing.dose_administer(
            record=record,
            dose_mg="28",
            lot_number="ESK",
            started_at=moment,
            ended_at=moment,
            by=esketamine_course.prescriber,
        )

    for number in range(ceiling // 28):
        device(number)
    with pytest.raises(ValidationError, match=f"outside 28.000-{ceiling}.000 mg"):
        device(ceiling // 28)
    assert dosing.session_dose_mg(record) == ceiling
