from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integration.models import MeasureRequest
from integration.tasks import measures_plan_courses
from sessions.models import Course, CourseStatus
from tests.factories import CourseFactory, IntegrationAppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_planning_task_plans_running_courses_once(course: Course) -> None:
    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    IntegrationAppointmentFactory(
        course=course, kind="dosing", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    CourseFactory(status=CourseStatus.CANCELLED)
    first = measures_plan_courses()
    assert first > 0
    assert MeasureRequest.objects.count() == first
    assert set(MeasureRequest.objects.values_list("course", flat=True)) == {course.pk}
    measures_plan_courses()
    assert MeasureRequest.objects.count() == first
