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

from integration.supervision.models import SupervisionMeeting
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
