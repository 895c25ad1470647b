"""A supervisee's clinical hours over a period of clinic-zone dates.

Direct: completed appointments where they were the therapist or medical monitor, counted by
elapsed (UTC) time, so a session across a daylight-saving change counts its real length.
Indirect: supervision meetings they attended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from integration.supervision.models import HoursGoal, SupervisionMeeting, SupervisionRelationship
from kap_clinic.accounts.models import User
from sessions.models import Appointment, AppointmentStatus


@dataclass(frozen=True)
class Hours:
    direct: timedelta
    indirect: timedelta

    @property
    def direct_hours(self) -> float:
        return round(self.direct.total_seconds() / 3600, 2)

    @property
    def indirect_hours(self) -> float:
        return round(self.indirect.total_seconds() / 3600, 2)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def clinical_hours(*, supervisee: User, first: date, last: date) -> Hours:
    """Appointments starting on a clinic-zone date from ``first`` to ``last`` inclusive."""
    start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
    direct = timedelta()
    for starts_at, ends_at in Appointment.objects.filter(
        Q(therapist=supervisee) | Q(medical_monitor=supervisee),
        status=AppointmentStatus.COMPLETED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).values_list("starts_at", "ends_at"):
        direct += ends_at - starts_at
    minutes = sum(
        SupervisionMeeting.objects.filter(
            supervisees=supervisee, held_on__gte=first, held_on__lte=last
        ).values_list("minutes", flat=True)
    )
    return Hours(direct=direct, indirect=timedelta(minutes=minutes))


@dataclass(frozen=True)
class GoalProgress:
    """A supervisee's hours under one supervision, from its start to its end (or today)."""

    relationship: SupervisionRelationship
    first: date
    last: date
    hours: Hours
    goal: HoursGoal | None

    @staticmethod
    def _percent(done: float, goal: int) -> int:
        return min(100, int(done * 100 // goal)) if goal else 0

    @property
    def direct_percent(self) -> int:
        return self._percent(self.hours.direct_hours, self.goal.direct_hours if self.goal else 0)

    @property
    def indirect_percent(self) -> int:
        return self._percent(
            self.hours.indirect_hours, self.goal.indirect_hours if self.goal else 0
        )


def hours_toward_goals(*, supervisee: User, today: date) -> list[GoalProgress]:
    """Each supervision of the supervisee that has begun, newest first, with its hours counted as
    ``clinical_hours`` counts them, in three queries whatever the number of supervisions."""
    relationships = list(
        SupervisionRelationship.objects.select_related("supervisor", "hours_goal")
        .filter(supervisee=supervisee, starts_on__lte=today)
        .order_by("-starts_on", "-id")
    )
    if not relationships:
        return []
    periods = [(r, r.starts_on, min(r.ends_on or today, today)) for r in relationships]
    first = min(start for _, start, _ in periods)
    last = max(end for _, _, end in periods)
    visits = [
        (timezone.localdate(starts_at), ends_at - starts_at)
        for starts_at, ends_at in Appointment.objects.filter(
            Q(therapist=supervisee) | Q(medical_monitor=supervisee),
            status=AppointmentStatus.COMPLETED,
            starts_at__gte=_local_midnight(first),
            starts_at__lt=_local_midnight(last + timedelta(days=1)),
        ).values_list("starts_at", "ends_at")
    ]
    meetings = list(
        SupervisionMeeting.objects.filter(
            supervisees=supervisee, held_on__gte=first, held_on__lte=last
        ).values_list("held_on", "minutes")
    )
    progress = []
    for relationship, start, end in periods:
        direct = sum((length for day, length in visits if start <= day <= end), timedelta())
        minutes = sum(length for day, length in meetings if start <= day <= end)
        goal = getattr(relationship, "hours_goal", None)
        progress.append(
            GoalProgress(
                relationship=relationship,
                first=start,
                last=end,
                hours=Hours(direct=direct, indirect=timedelta(minutes=minutes)),
                goal=goal,
            )
        )
    return progress
