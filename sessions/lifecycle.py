"""The patient's status, derived from the record: the one place that decides it (issue #10).

Intake's services store the intake stages (invited … cleared, not eligible, declined) and a
discharge from the practice; from the first dose on, the status follows the courses:
in treatment, course completed, maintenance (a further course or session booked after a completed
one), inactive (no session for a while after a completed course).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from intake.models import PatientStatus
from sessions.models import Appointment, AppointmentStatus, Course, CourseStatus, DoseAdministration

# Clinic practice: a patient with no session for six months after a completed course is inactive.
INACTIVE_AFTER = timedelta(days=182)
# Statuses set on purpose by staff, which the record does not override.
SET_BY_STAFF = (PatientStatus.DISCHARGED, PatientStatus.DECLINED)


def with_lifecycle(patients: QuerySet[Any]) -> QuerySet[Any]:
    """``patients`` annotated with ``lifecycle`` (a PatientStatus value), in the same query."""
    now = timezone.now()
    live = Appointment.objects.filter(patient=OuterRef("pk")).exclude(
        status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]
    )
    dosed = Exists(
        DoseAdministration.objects.filter(dosing_record__appointment__patient=OuterRef("pk"))
    )
    completed = Exists(Course.objects.filter(patient=OuterRef("pk"), status=CourseStatus.COMPLETED))
    open_course = Exists(
        Course.objects.filter(
            patient=OuterRef("pk"), status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE]
        )
    )
    upcoming = Exists(live.filter(starts_at__gte=now))
    recent = Exists(live.filter(starts_at__gte=now - INACTIVE_AFTER))
    return patients.annotate(
        lifecycle=Case(
            When(status__in=SET_BY_STAFF, then=F("status")),
            When(completed & (open_course | upcoming), then=Value(PatientStatus.MAINTENANCE.value)),
            When(completed & ~recent, then=Value(PatientStatus.INACTIVE.value)),
            When(completed, then=Value(PatientStatus.COMPLETED.value)),
            When(dosed, then=Value(PatientStatus.IN_TREATMENT.value)),
            When(Q(status=PatientStatus.IN_TREATMENT), then=Value(PatientStatus.CLEARED.value)),
            default=F("status"),
        )
    )


def register() -> None:
    from kap_clinic.chart import patient_status_register

    patient_status_register(with_lifecycle)
