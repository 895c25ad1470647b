"""Reads of practices: today's practice for a patient, adherence for clinicians."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from integration.practices.models import Practice, PracticeCompletion, ProgrammeAssignment
from kap_clinic.accounts.models import User
from sessions.models import Course, CourseStatus


def day_of(assignment: ProgrammeAssignment, today: date) -> int:
    """The programme day ``today`` is (day 1 is the start date; 0 or less: not started)."""
    return (today - assignment.starts_on).days + 1


@dataclass(frozen=True)
class Adherence:
    assignment: ProgrammeAssignment
    due: int
    done: int
    length: int

    @property
    def percent(self) -> float | None:
        return self.done / self.due * 100 if self.due else None


def assignments_with_practices(**filters: object) -> list[ProgrammeAssignment]:
    return list(
        ProgrammeAssignment.objects.filter(**filters)
        .select_related("programme", "course__patient")
        .prefetch_related(
            Prefetch("programme__practices", queryset=Practice.objects.order_by("day")),
            Prefetch("completions", queryset=PracticeCompletion.objects.all()),
        )
    )


def course_adherence(course: Course, *, today: date) -> list[Adherence]:
    """Practices due so far and done, per phase of the course (three queries)."""
    result = []
    for assignment in assignments_with_practices(course=course):
        practices = list(assignment.programme.practices.all())
        current = day_of(assignment, today)
        due = [p for p in practices if p.day <= current]
        done_ids = {c.practice_id for c in assignment.completions.all()}
        result.append(
            Adherence(
                assignment=assignment,
                due=len(due),
                done=sum(1 for p in due if p.pk in done_ids),
                length=len(practices),
            )
        )
    return result


@dataclass(frozen=True)
class TodaysPractice:
    assignment: ProgrammeAssignment
    practice: Practice
    done: bool


def todays_practices(user: User, *, today: date) -> list[TodaysPractice]:
    """The patient's practices for today, across their running courses (three queries)."""
    found = []
    for assignment in assignments_with_practices(
        course__patient__user=user,
        course__status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE],
    ):
        current = day_of(assignment, today)
        done_ids = {c.practice_id for c in assignment.completions.all()}
        for practice in assignment.programme.practices.all():
            if practice.day == current:
                found.append(TodaysPractice(assignment, practice, practice.pk in done_ids))
    return found
