"""Deterioration and non-response on the PHQ-9, per course (issue 12, item 4).

- Deterioration: the course's latest PHQ-9 is ``deterioration_rise`` or more above the score
  before it (CLINICAL.md: >= 5 points is clinically meaningful change, policy).
- Non-response: after ``non_response_doses`` doses, the latest PHQ-9 is less than
  ``non_response_improvement_percent`` below the course's baseline (policy).

Flags are computed when read, for the courses still running or in follow-up, in a fixed number
of queries; they show on the clinician's landing panel (with the scores) and in the digest
(initials and the kind only: the digest is an email).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from intake.instruments import PHQ9
from integration.episodes import CourseOutcome
from integration.models import OutcomePolicy, Phase
from integration.outcomes import windows_and_outcomes
from integration.trends import Score
from kap_clinic.accounts.models import User
from sessions.models import AppointmentStatus, Course, CourseStatus

DETERIORATION = "deterioration"
NON_RESPONSE = "non_response"
DOSES_GIVEN = (AppointmentStatus.COMPLETED, AppointmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str
    scores: tuple[Score, ...]

    @property
    def label(self) -> str:
        return "Deterioration" if self.kind == DETERIORATION else "No response yet"


def course_flags(
    outcome: CourseOutcome, *, doses_given: Sequence[datetime], policy: OutcomePolicy
) -> list[Flag]:
    """The PHQ-9 flags of one course, from its own scores (pure: no queries)."""
    flags: list[Flag] = []
    scores = [phased.score for phased in outcome.scores]
    if len(scores) >= 2:
        previous, latest = scores[-2], scores[-1]
        if latest.value - previous.value >= policy.deterioration_rise:
            flags.append(
                Flag(
                    DETERIORATION,
                    f"PHQ-9 rose from {previous.value} to {latest.value} "
                    f"(a rise of {policy.deterioration_rise} or more).",
                    (previous, latest),
                )
            )
    doses = sorted(doses_given)
    baseline = outcome.baseline
    if baseline is not None and baseline.value > 0 and len(doses) >= policy.non_response_doses:
        threshold_dose = doses[policy.non_response_doses - 1]
        after = [
            phased.score
            for phased in outcome.scores
            if phased.phase != Phase.BASELINE and phased.score.taken_at > threshold_dose
        ]
        if after:
            latest = after[-1]
            improvement = baseline.value - latest.value
            if improvement * 100 < baseline.value * policy.non_response_improvement_percent:
                flags.append(
                    Flag(
                        NON_RESPONSE,
                        f"PHQ-9 {latest.value} after {policy.non_response_doses} doses, from a "
                        f"baseline of {baseline.value}: less than "
                        f"{policy.non_response_improvement_percent}% improvement.",
                        (baseline, latest),
                    )
                )
    return flags


@dataclass(frozen=True)
class CourseFlags:
    course: Course
    flags: list[Flag]


def flags_for_clinician(user: User, *, now: datetime | None = None) -> list[CourseFlags]:
    """Flags of the courses the clinician treats (therapist or prescriber), running or in
    follow-up; a fixed number of queries whatever the number of courses."""
    now = now or timezone.now()
    courses = list(
        Course.objects.filter(Q(therapist=user) | Q(prescriber=user))
        .filter(status__in=[CourseStatus.ACTIVE, CourseStatus.COMPLETED])
        .select_related("patient", "protocol")
        .order_by("start_date", "id")
    )
    if not courses:
        return []
    policy = OutcomePolicy.get()
    windows, outcomes = windows_and_outcomes(
        {course.patient_id for course in courses}, [PHQ9.key], policy=policy
    )
    found = []
    for course in courses:
        window = windows.get(course.pk)
        if window is None or window.follow_up_end is None or window.follow_up_end < now:
            continue
        outcome = outcomes.get((course.pk, PHQ9.key))
        if outcome is None:
            continue
        flags = course_flags(outcome, doses_given=window.doses_given, policy=policy)
        if flags:
            found.append(CourseFlags(course, flags))
    return found
