"""Celery tasks of the integration app: thin, ids in, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from integration.clinic_outcomes import outcomes_refresh
from integration.measures import measures_plan
from sessions.models import Course, CourseStatus


@shared_task(
    name="integration.measures_plan_courses",
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def measures_plan_courses() -> int:
    """Plans (or re-plans after appointments moved) the measures of every running course.

    Idempotent: requests already made are kept, so running it twice asks nothing twice.
    """
    planned = 0
    for course_id in Course.objects.filter(
        status__in=[CourseStatus.PLANNED, CourseStatus.ACTIVE]
    ).values_list("id", flat=True):
        course = Course.objects.filter(pk=course_id).first()
        if course is not None:
            planned += len(measures_plan(course=course))
    return planned


@shared_task(
    name="integration.outcomes_refresh",
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def outcomes_refresh_task(course_id: int | None = None) -> int:
    """Recomputes the outcomes summary table: every completed course, or one that completed.

    Safe to run twice (rows are replaced); a course that is gone or not completed is skipped.
    """
    return outcomes_refresh(course_ids=None if course_id is None else [course_id])
