"""Issue 11: every dosing-day rule holds at the moment it matters (regression tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from intake.medications import review_classes_for
from intake.models import (
    Decision,
    IntakeForm,
    IntakeStatus,
    MedicalAssessment,
    PatientStatus,
    SexAtBirth,
)
from kap_clinic.accounts.models import User
from kap_clinic.audit.models import AuditAction, AuditEvent
from sessions import dosing, services
from sessions.forms import ReadinessStaffForm
from sessions.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Course,
    CourseStatus,
    DosingPolicy,
    DosingRecord,
    DosingStatus,
    Room,
    VitalsEntry,
)
from sessions.rems.models import RemsForm
from tests.kap_sessions.conftest import NEW_YORK, override_every_no_go
from tests.kap_sessions.test_dosing import _discharge, _dosed, checked_in, resolved, started

pytestmark = pytest.mark.django_db


def _codes(record: DosingRecord) -> list[str]:
    return [n.code for n in dosing.readiness_no_go(dosing.readiness_for(record.appointment))]


def _book(course: Course, room: Room, front_desk: User, start: datetime) -> Appointment:
    return services.appointment_book(
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


def _give(record: DosingRecord, at: datetime, mg: str = "35") -> object:
    return dosing.dose_administer(
        record=record,
        dose_mg=mg,
        lot_number="L-1",
        started_at=at,
        ended_at=at,
        by=record.course.prescriber,
    )


def _vitals(record: DosingRecord, by: User, at: datetime, bp: tuple[int, int] = (126, 80)) -> None:
    dosing.vitals_record(
        record=record,
        taken_at=at,
        blood_pressure_systolic=bp[0],
        blood_pressure_diastolic=bp[1],
        heart_rate=72,
        spo2=98,
        by=by,
    )


# --- 1. clearance and course status, at every step -------------------------------------------


def test_a_clearance_withdrawn_after_booking_stops_check_in(
    course: Course, room: Room, front_desk: User
) -> None:
    appointment = _book(course, room, front_desk, timezone.now() - timedelta(minutes=10))
    course.patient.status = PatientStatus.NOT_ELIGIBLE
    course.patient.save()
    with pytest.raises(ValidationError, match="not cleared for dosing"):
        services.appointment_check_in(appointment=appointment, by=front_desk)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def _withdraw_medical_clearance(course: Course) -> None:
    """The patient is "in treatment", so the status alone would pass; the current intake's latest
    medical decision is "not cleared"."""
    patient = course.patient
    patient.status = PatientStatus.IN_TREATMENT
    patient.save()
    intake = IntakeForm.objects.create(
        patient=patient, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now()
    )
    MedicalAssessment.objects.create(
        patient=patient,
        intake=intake,
        assessed_by=course.prescriber,
        decision=Decision.NOT_CLEARED,
        reason="New cardiac finding",
        blood_pressure_systolic=120,
        blood_pressure_diastolic=80,
        heart_rate=70,
        oxygen_saturation=98,
        weight_kg=Decimal("70"),
        history_review="Reviewed",
    )


def test_a_later_not_cleared_assessment_stops_the_start(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk)
    _withdraw_medical_clearance(course)
    with pytest.raises(ValidationError, match="medical clearance is not current"):
        dosing.dosing_start(record=record, by=course.prescriber)
    record.refresh_from_db()
    assert record.status == DosingStatus.CHECKED_IN


def test_a_clearance_withdrawn_mid_session_stops_every_further_dose(
    esketamine_course: Course, room: Room, front_desk: User
) -> None:
    record = started(esketamine_course, room, front_desk)
    _give(record, timezone.now() - timedelta(minutes=10), mg="28")
    _withdraw_medical_clearance(esketamine_course)
    with pytest.raises(ValidationError, match="medical clearance is not current"):
        _give(record, timezone.now(), mg="28")
    assert record.doses.count() == 1


def test_a_cancelled_course_stops_the_start(course: Course, room: Room, front_desk: User) -> None:
    record = checked_in(course, room, front_desk)
    Course.objects.filter(id=course.id).update(status=CourseStatus.CANCELLED)
    with pytest.raises(ValidationError, match="course is cancelled"):
        dosing.dosing_start(record=record, by=course.prescriber)


# --- 2. dose spacing on the real administration times ----------------------------------------


def test_two_real_doses_closer_than_the_protocols_spacing_are_refused(
    course: Course, room: Room, room_two: Room, front_desk: User
) -> None:
    # Appointments 46 h apart (the protocol asks 44 h); the first infusion ran 4 hours late.
    first = checked_in(course, room, front_desk, start=timezone.now() - timedelta(hours=47))
    dosing.dosing_start(record=first, by=course.prescriber)
    _give(first, first.appointment.starts_at + timedelta(hours=4))
    second = checked_in(course, room_two, front_desk, start=timezone.now() - timedelta(hours=1))
    dosing.dosing_start(record=second, by=course.prescriber)
    with pytest.raises(ValidationError, match="at least 44 hours apart"):
        _give(second, timezone.now())
    assert not second.doses.exists()


# --- 3. times within the session --------------------------------------------------------------


def test_clinical_times_outside_check_in_to_now_are_refused(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)  # checked in 150 minutes ago
    checked_in_at = record.appointment.starts_at
    with pytest.raises(ValidationError, match="before the patient checked in"):
        _give(record, checked_in_at - timedelta(hours=3))
    with pytest.raises(ValidationError, match="in the future"):
        _vitals(record, therapist, timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="before the patient checked in"):
        _vitals(record, therapist, datetime(2019, 5, 1, 10, tzinfo=NEW_YORK))
    # Within the policy's clock-skew tolerance: accepted.
    _vitals(record, therapist, timezone.now() + timedelta(minutes=2))
    assert VitalsEntry.objects.count() == 1


def test_check_in_opens_two_hours_before_the_appointment(
    course: Course, room: Room, front_desk: User
) -> None:
    early = _book(course, room, front_desk, timezone.now() + timedelta(days=2))
    with pytest.raises(ValidationError, match="Check-in for this dosing session opens"):
        services.appointment_check_in(appointment=early, by=front_desk)
    soon = _book(course, room, front_desk, timezone.now() + timedelta(minutes=110))
    services.appointment_check_in(appointment=soon, by=front_desk)
    soon.refresh_from_db()
    assert soon.status == AppointmentStatus.CHECKED_IN


def test_last_drank_in_the_future_is_refused(course: Course, room: Room, front_desk: User) -> None:
    appointment = _book(course, room, front_desk, timezone.now() + timedelta(hours=5))
    with pytest.raises(ValidationError, match="last drank cannot be in the future"):
        dosing.readiness_patient_submit(
            readiness=dosing.readiness_for(appointment),
            by=course.patient.user,
            last_ate_at=timezone.now() - timedelta(hours=8),
            last_drank_at=timezone.now() + timedelta(hours=2),
            escort_name="Sam",
            escort_phone="555",
            pregnancy_attestation="not_applicable",
            feeling_today="ok",
        )


def test_a_time_not_today_shows_its_date() -> None:
    with timezone.override(NEW_YORK):
        now = timezone.localtime()
        assert dosing.local_when(now) == f"{now:%H:%M} {now.tzname()}"
        yesterday = now - timedelta(days=1)
        day = f"{yesterday:%a} {yesterday.day} {yesterday:%b %Y}"
        assert dosing.local_when(yesterday) == f"{day}, {yesterday:%H:%M} {yesterday.tzname()}"


# --- 4 and 5. discharge ---------------------------------------------------------------------


def test_discharge_judges_the_reading_taken_last_not_a_future_dated_one(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    # A mistyped entry for tomorrow (written before future times were refused) and a real 200/120.
    VitalsEntry.objects.create(
        dosing_record=record,
        taken_at=timezone.now() + timedelta(days=1),
        blood_pressure_systolic=120,
        blood_pressure_diastolic=78,
        heart_rate=70,
        spo2=98,
        recorded_by=therapist,
    )
    _vitals(record, therapist, timezone.now(), bp=(200, 120))
    with pytest.raises(ValidationError, match="systolic BP 200"):
        _discharge(record, esketamine_course.prescriber)


def test_discharge_is_refused_until_sedation_and_dissociation_are_reassessed_and_resolved(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    dosing.scores_record(
        record=record,
        taken_at=timezone.now(),
        moaas=4,
        cadss={1: 1, 2: 0, 6: 0, 7: 0, 15: 0, 22: 0},
        by=therapist,
    )
    with pytest.raises(ValidationError, match="MOAA/S 4") as refused:
        _discharge(record, esketamine_course.prescriber)
    assert "CADSS-6 1" in str(refused.value)
    resolved(record, therapist)
    assert _discharge(record, esketamine_course.prescriber).status == DosingStatus.DISCHARGED


def test_an_assessment_older_than_15_minutes_does_not_count(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    record.scores.update(taken_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(ValidationError, match="Reassess sedation and dissociation"):
        _discharge(record, esketamine_course.prescriber)


def test_diastolic_above_baseline_and_an_old_bp_reading_block_discharge(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    _vitals(record, therapist, timezone.now(), bp=(130, 95))  # baseline 124/78, margin 10
    with pytest.raises(ValidationError, match="diastolic BP 95"):
        _discharge(record, esketamine_course.prescriber)
    record.vitals.update(taken_at=timezone.now() - timedelta(minutes=20))
    with pytest.raises(ValidationError, match="Take the blood pressure again"):
        _discharge(record, esketamine_course.prescriber)


def test_esketamine_counts_two_hours_from_the_last_device_and_needs_the_40_minute_bp(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(esketamine_course, room, front_desk)
    first = timezone.now() - timedelta(minutes=130)
    _give(record, first, mg="28")
    _give(record, first + timedelta(minutes=15), mg="28")  # last device 115 minutes ago
    _vitals(record, therapist, timezone.now())
    resolved(record, therapist)
    with pytest.raises(ValidationError, match="from the last device") as refused:
        _discharge(record, esketamine_course.prescriber)
    assert "about 40 minutes after dosing" in str(refused.value)


def test_without_a_baseline_discharge_needs_the_prescribers_judgement(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = checked_in(
        esketamine_course, room, front_desk, baseline_systolic=None, baseline_diastolic=None
    )
    override_every_no_go(dosing.readiness_for(record.appointment), esketamine_course.prescriber)
    record = dosing.dosing_start(record=record, by=esketamine_course.prescriber)
    start = timezone.now() - timedelta(minutes=125)
    _give(record, start, mg="28")
    _vitals(record, therapist, start + timedelta(minutes=40))
    _vitals(record, therapist, timezone.now())
    resolved(record, therapist)
    with pytest.raises(ValidationError, match="no baseline blood pressure"):
        _discharge(record, esketamine_course.prescriber)
    done = _discharge(
        record,
        esketamine_course.prescriber,
        baseline_missing_judgement="126/80 is her usual clinic reading (GP letter)",
    )
    assert done.baseline_missing_judgement.startswith("126/80")


def test_missed_scheduled_vitals_are_listed_and_need_acknowledgement(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = _dosed(esketamine_course, room, front_desk, therapist, minutes_ago=125)
    missed = dosing.missed_vitals(record)
    assert missed
    with pytest.raises(ValidationError, match="Scheduled vitals were missed"):
        _discharge(record, esketamine_course.prescriber, missed_vitals_acknowledged=False)
    done = _discharge(record, esketamine_course.prescriber)
    assert done.missed_vitals_acknowledged.startswith("Missed: ")


# --- 6. REMS form ----------------------------------------------------------------------------


def test_the_rems_form_reads_not_assessed_and_cannot_be_completed_with_gaps(
    client: Client, esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(esketamine_course, room, front_desk)
    _give(record, timezone.now() - timedelta(minutes=5), mg="28")
    client.force_login(esketamine_course.prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/rems/").content.decode()
    # Concomitant medicines (4), sedation, dissociation, serious adverse events and the ~40-minute
    # blood pressure: nothing assessed yet, and never a "No"; the discharge times and the blood
    # pressure before discharge are not recorded yet.
    assert page.count("Not assessed") == 8
    assert page.count("not yet discharged") == 3
    refused = client.post(
        f"/sessions/dosing/{record.uuid}/rems/complete/", {"signature": "Test Prescriber"}
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "cannot be marked complete" in text
    assert "Concomitant benzodiazepines" in text
    assert "Sedation (MOAA/S" in text
    assert not RemsForm.objects.filter(dosing_record=record, signed_at__isnull=False).exists()


def test_concomitant_medicines_are_proposed_from_every_list(
    esketamine_course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    patient = esketamine_course.patient
    IntakeForm.objects.create(
        patient=patient,
        status=IntakeStatus.SUPERSEDED,
        submitted_at=timezone.now() - timedelta(days=30),
        answers={"medications": {"medications": [{"name": "Ambien 5 mg"}]}},
    )
    IntakeForm.objects.create(
        patient=patient,
        version=2,
        status=IntakeStatus.SUBMITTED,
        submitted_at=timezone.now() - timedelta(days=20),
        answers={"medications": {"medications": [{"name": "Adderall XR", "dose": "20 mg"}]}},
    )
    record = _record_with_day_of_medicines(esketamine_course, room, front_desk)
    dosing.other_medication_record(
        record=record,
        medicine="Midazolam",
        dose="1 mg",
        route="IV",
        reason="Distress",
        given_at=timezone.now(),
        by=esketamine_course.prescriber,
    )
    proposals = dosing.concomitant_proposals(record)
    assert proposals["concomitant_psychostimulant"] == ["Adderall (intake medication list)"]
    assert proposals["concomitant_benzodiazepine"] == [
        "Xanax (last 24 hours)",
        "Midazolam (given in the session)",
    ]
    assert proposals["concomitant_maoi"] == ["Azilect (last 24 hours)"]
    assert proposals["concomitant_non_benzodiazepine_hypnotic"] == []


def _record_with_day_of_medicines(course: Course, room: Room, front_desk: User) -> DosingRecord:
    from intake.models import ClinicalAssessment

    patient = course.patient
    intake = patient.intakes.get(status=IntakeStatus.SUBMITTED)
    MedicalAssessment.objects.create(
        patient=patient,
        intake=intake,
        assessed_by=course.prescriber,
        decision=Decision.CLEARED,
        blood_pressure_systolic=120,
        blood_pressure_diastolic=80,
        heart_rate=70,
        oxygen_saturation=98,
        weight_kg=Decimal("70"),
        history_review="Reviewed",
    )
    ClinicalAssessment.objects.create(
        patient=patient, intake=intake, assessed_by=course.therapist, decision=Decision.CLEARED
    )
    record = checked_in(course, room, front_desk)
    readiness = dosing.readiness_for(record.appointment)
    readiness.medications_last_24_hours = "Xanax 0.5 mg last night, Azilect"
    readiness.save()
    override_every_no_go(readiness, course.prescriber)
    return dosing.dosing_start(record=record, by=course.prescriber)


# --- 7. fasting ------------------------------------------------------------------------------


def test_fasting_times_against_the_policy_are_no_go_items(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk)
    readiness = dosing.readiness_for(record.appointment)
    assert _codes(record) == []
    readiness.last_ate_at = timezone.now() - timedelta(hours=5)
    readiness.last_drank_at = timezone.now() - timedelta(minutes=90)
    readiness.save()
    assert _codes(record) == ["last_ate_at_too_recent", "last_drank_at_too_recent"]
    with pytest.raises(ValidationError, match="less than 6 hours before dosing"):
        dosing.dosing_start(record=record, by=course.prescriber)
    policy = DosingPolicy.current()
    policy.fasting_solids_hours = 4
    policy.clear_liquids_hours = 1
    policy.save()
    assert _codes(record) == []


# --- 8. overrides per reason -----------------------------------------------------------------


def test_each_no_go_needs_its_own_override_and_a_new_one_blocks_again(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=150)
    readiness = dosing.readiness_for(record.appointment)
    dosing.readiness_override(
        readiness=readiness, code="baseline_bp_high", reason="White coat", by=course.prescriber
    )
    # A reason appearing after the override blocks again.
    readiness.escort_confirmed = False
    readiness.save()
    with pytest.raises(ValidationError, match="Escort not confirmed"):
        dosing.dosing_start(record=record, by=course.prescriber)
    # So does a changed reading of an overridden reason.
    readiness.escort_confirmed = True
    readiness.baseline_systolic = 175
    readiness.save()
    with pytest.raises(ValidationError, match="175/78 is above"):
        dosing.dosing_start(record=record, by=course.prescriber)
    with pytest.raises(ValidationError, match="no longer applies"):
        dosing.readiness_override(
            readiness=readiness, code="escort_confirmed", reason="x", by=course.prescriber
        )
    dosing.readiness_override(
        readiness=readiness, code="baseline_bp_high", reason="Repeat 138/82", by=course.prescriber
    )
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"
    assert (
        AuditEvent.objects.filter(
            object_id=str(record.uuid), action=AuditAction.UPDATE, detail="no-go override"
        ).count()
        == 2
    )


def test_the_dosing_page_offers_an_override_for_each_reason(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, baseline_systolic=150, escort_confirmed=False)
    client.force_login(course.prescriber)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert page.count("Override this reason") == 2
    response = client.post(
        f"/sessions/dosing/{record.uuid}/override/",
        {"override-code": "escort_confirmed", "override-reason": "Escort in the car park"},
    )
    assert response.status_code == 302
    assert _codes(record) == ["escort_confirmed", "baseline_bp_high"]
    blocking = [
        n.code
        for n in dosing.readiness_no_go(dosing.readiness_for(record.appointment))
        if n.override is None
    ]
    assert blocking == ["baseline_bp_high"]


# --- 9. weight --------------------------------------------------------------------------------


def test_a_weight_far_from_the_last_one_needs_confirmation(
    course: Course, room: Room, room_two: Room, front_desk: User
) -> None:
    first = checked_in(course, room, front_desk, start=timezone.now() - timedelta(days=3))
    assert _codes(first) == []
    # 154 typed in the kilogram box: 120 % above the last 70 kg.
    second = checked_in(course, room_two, front_desk, weight_kg=Decimal("154"))
    assert _codes(second) == ["weight_change"]
    readiness = dosing.readiness_for(second.appointment)
    readiness.weight_change_confirmed = True
    readiness.save()
    assert _codes(second) == []


def test_the_check_in_form_takes_pounds_and_stores_kilograms() -> None:
    form = ReadinessStaffForm({"weight": "154", "weight_unit": "lb"})
    assert form.is_valid(), form.errors
    assert form.readiness_checks()["weight_kg"] == Decimal("69.9")
    too_heavy = ReadinessStaffForm({"weight": "900", "weight_unit": "kg"})
    assert not too_heavy.is_valid()
    assert "check the unit" in str(too_heavy.errors["weight"])


def test_the_mg_per_kg_ceiling_is_compared_before_rounding(
    course: Course, room: Room, front_desk: User
) -> None:
    record = started(course, room, front_desk)  # 70 kg, ceiling 0.5 mg/kg = 35 mg
    with pytest.raises(ValidationError, match="0.504 mg/kg"):
        _give(record, timezone.now(), mg="35.3")
    _give(record, timezone.now(), mg="35")
    assert record.doses.count() == 1


# --- 10. medication matching -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        ("hydrocodone/acetaminophen 5/325", "Opioid"),
        ("oxycodone-acetaminophen", "Opioid"),
        ("amphetamine-dextroamphetamine 20 mg", "Psychostimulant"),
        ("Norco", "Opioid"),
        ("triazolam 0.25", "Benzodiazepine"),
        ("Provigil", "Psychostimulant"),
        ("Azilect 1mg", "MAOI"),
        ("Dexedrine spansule", "Psychostimulant"),
        ("adderal", "Psychostimulant"),
        ("Xanex", "Benzodiazepine"),
    ],
)
def test_medications_match_combinations_brands_and_misspellings(entry: str, label: str) -> None:
    assert [c.label for c in review_classes_for(entry)] == [label]


def test_unrelated_medicines_do_not_match() -> None:
    assert review_classes_for("sertraline 50 mg, acetaminophen") == []


def test_the_day_of_medicines_are_screened_with_the_same_table(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk)
    readiness = dosing.readiness_for(record.appointment)
    readiness.medications_last_24_hours = "Norco for back pain this morning"
    readiness.save()
    no_go = dosing.readiness_no_go(readiness)
    assert [n.code for n in no_go] == ["medicines_last_24_hours"]
    assert "Opioid: norco" in no_go[0].message


# --- 12. suicide risk on the day -------------------------------------------------------------


def _phq9(item9: int) -> dict[str, int]:
    return {f"item{n}": 1 for n in range(1, 9)} | {"item9": item9}


def test_the_pre_dose_check_needs_every_phq9_item(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(
        course, room, front_desk, predose_phq9_answers={}, mood_check="Feeling fine"
    )
    assert _codes(record) == ["phq9_missing"]


def test_a_positive_item_9_needs_the_cssrs_and_moderate_risk_waits_for_the_prescriber(
    course: Course, room: Room, front_desk: User
) -> None:
    record = checked_in(course, room, front_desk, predose_phq9_answers=_phq9(1))
    assert _codes(record) == ["cssrs_missing"]
    readiness = dosing.readiness_for(record.appointment)
    dosing.readiness_staff_record(
        readiness=readiness,
        by=front_desk,
        predose_cssrs_answers={"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0},
    )
    assert _codes(record) == ["suicide_risk"]
    with pytest.raises(ValidationError, match="moderate risk"):
        dosing.dosing_start(record=record, by=course.prescriber)
    dosing.readiness_override(
        readiness=readiness,
        code="suicide_risk",
        reason="Seen by Dr P: passive ideation, safety plan updated, proceed",
        by=course.prescriber,
    )
    assert dosing.dosing_start(record=record, by=course.prescriber).status == "in_progress"


def test_low_risk_on_the_cssrs_is_not_a_no_go(course: Course, room: Room, front_desk: User) -> None:
    record = checked_in(
        course,
        room,
        front_desk,
        predose_phq9_answers=_phq9(1),
        predose_cssrs_answers={"q1": 1, "q2": 0, "q6": 0},
    )
    assert _codes(record) == []


# --- 14. pregnancy test ----------------------------------------------------------------------


def test_a_missing_old_or_positive_pregnancy_test_is_a_no_go(
    course: Course, room: Room, front_desk: User
) -> None:
    course.patient.sex_at_birth = SexAtBirth.FEMALE
    course.patient.save()
    record = checked_in(course, room, front_desk, pregnancy_test_result="")
    assert _codes(record) == ["pregnancy_test_missing"]
    readiness = dosing.readiness_for(record.appointment)
    readiness.pregnancy_test_result = "negative"
    readiness.pregnancy_test_date = timezone.localdate(timezone.now(), NEW_YORK) - timedelta(days=3)
    readiness.save()
    assert _codes(record) == ["pregnancy_test_missing"]
    readiness.pregnancy_test_date = timezone.localdate(timezone.now(), NEW_YORK)
    readiness.pregnancy_test_result = "positive"
    readiness.save()
    assert _codes(record) == ["pregnancy_test_positive"]


def test_no_pregnancy_test_is_asked_of_a_patient_recorded_male(
    course: Course, room: Room, front_desk: User
) -> None:
    course.patient.sex_at_birth = SexAtBirth.MALE
    course.patient.save()
    record = checked_in(course, room, front_desk, pregnancy_test_result="")
    assert _codes(record) == []


# --- pages -----------------------------------------------------------------------------------


def test_the_check_in_page_records_every_phq9_item_and_a_weight_in_pounds(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    appointment = _book(course, room, front_desk, timezone.now() + timedelta(minutes=30))
    client.force_login(front_desk)
    url = f"/sessions/appointments/{appointment.uuid}/check-in/"
    page = client.get(url).content.decode()
    assert "Thoughts that you would be better off dead" in page
    data = {
        "identity_confirmed": "on",
        "weight": "154",
        "weight_unit": "lb",
        **{f"phq9_item{n}": "1" for n in range(1, 10)},
        "cssrs_q1": "1",
        "cssrs_q2": "0",
        "cssrs_q6": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    readiness = dosing.readiness_for(appointment)
    assert readiness.weight_kg == Decimal("69.9")
    assert readiness.predose_phq9_total == 9
    assert readiness.predose_cssrs_answers == {"q1": 1, "q2": 0, "q6": 0}
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert AuditEvent.objects.filter(
        actor=front_desk, detail="readiness, staff part; checked in"
    ).exists()


def test_the_check_in_page_refuses_a_check_in_two_days_early(
    client: Client, course: Course, room: Room, front_desk: User
) -> None:
    appointment = _book(course, room, front_desk, timezone.now() + timedelta(days=2))
    client.force_login(front_desk)
    response = client.post(
        f"/sessions/appointments/{appointment.uuid}/check-in/",
        {"identity_confirmed": "on", "weight_unit": "kg"},
    )
    assert response.status_code == 400
    assert "Check-in for this dosing session opens" in response.content.decode()
    assert not dosing.readiness_for(appointment).staff_part_done


def test_the_dosing_page_shows_the_date_of_a_time_not_today(
    client: Client, course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = checked_in(course, room, front_desk, start=timezone.now() - timedelta(days=1))
    record = dosing.dosing_start(record=record, by=course.prescriber)
    yesterday = timezone.now() - timedelta(days=1) + timedelta(minutes=10)
    _vitals(record, therapist, yesterday)
    client.force_login(therapist)
    page = client.get(f"/sessions/dosing/{record.uuid}/").content.decode()
    assert dosing.local_when(yesterday, NEW_YORK) in page
    assert yesterday.astimezone(NEW_YORK).strftime("%b %Y") in page


# --- audit rows recorded by the services ------------------------------------------------------


def test_the_dosing_services_record_their_own_audit_rows(
    course: Course, room: Room, front_desk: User, therapist: User
) -> None:
    record = started(course, room, front_desk)
    _give(record, timezone.now())
    _vitals(record, therapist, timezone.now())
    rows = list(
        AuditEvent.objects.filter(object_id=str(record.uuid))
        .order_by("occurred_at", "id")
        .values_list("actor__email", "action", "detail")
    )
    assert rows == [
        (course.prescriber.email, AuditAction.UPDATE, "session started"),
        (course.prescriber.email, AuditAction.UPDATE, "dose recorded"),
        (therapist.email, AuditAction.UPDATE, "vitals recorded"),
    ]
    readiness = dosing.readiness_for(record.appointment)
    assert (
        AuditEvent.objects.filter(
            object_id=str(readiness.uuid), detail="readiness, patient part"
        ).count()
        == 1
    )
