"""The clinician's daily digest at 07:00 clinic time, and the staff safety alert's content.

The digest's sections come from the domain apps (today's sessions, pending clearances, late notes)
through :func:`digest_section_register`, called from their AppConfig.ready(), so notifications
never imports them. A section returns short lines for one clinician and day; it should name
patients as the clinic's own pages do and carry no clinical detail (the digest is an email).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES, Role
from kap_clinic.notifications.content import context_builder_register
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.services import DAILY_DIGEST, SAFETY_ALERT, daily_digest_request

# The digest goes out at 07:00 clinic time (issue 3); a beat that was down catches up until noon.
DIGEST_TIME = time(7, 0)
DIGEST_LATEST = time(12, 0)


@dataclass(frozen=True)
class DigestSection:
    key: str
    title: str
    items: Callable[[User, date], list[str]]
    order: int = 100


_sections: dict[str, DigestSection] = {}


def digest_section_register(section: DigestSection) -> None:
    _sections[section.key] = section


def digest_section_unregister(key: str) -> None:
    _sections.pop(key, None)


def digest_sections(*, user: User, day: date) -> list[dict[str, Any]]:
    """Each registered section with its lines for ``user`` on ``day``, in order."""
    return [
        {"key": section.key, "title": section.title, "items": section.items(user, day)}
        for section in sorted(_sections.values(), key=lambda item: (item.order, item.key))
    ]


def daily_digests_queue(*, now: datetime | None = None) -> int:
    """Queues today's digest for every active clinician, and for clinic admins with something to
    read, once a day from 07:00 clinic time."""
    now = now or timezone.now()
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if not DIGEST_TIME <= local.time() < DIGEST_LATEST:
        return 0
    queued = 0
    for user in User.objects.filter(role__in=CLINICIAN_ROLES, is_active=True):
        if daily_digest_request(user=user, day=local.date(), send_at=now) is not None:
            queued += 1
    # Clinic admins get a digest on days it has something for them (the expiry watch, the audit
    # record's daily check).
    for user in User.objects.filter(role=Role.CLINIC_ADMIN, is_active=True):
        sections = digest_sections(user=user, day=local.date())
        if any(section["items"] for section in sections) and daily_digest_request(
            user=user, day=local.date(), send_at=now
        ):
            queued += 1
    return queued


def _digest_context(message: Message) -> dict[str, Any] | None:
    user = message.recipient_user
    if user is None:
        return None
    day = date.fromisoformat(message.refs["date"])
    sections = digest_sections(user=user, day=day)
    return {
        "recipient_name": user.full_name,
        "day": day,
        "sections": sections,
        "has_items": any(section["items"] for section in sections),
    }


def _safety_alert_context(message: Message) -> dict[str, Any]:
    path = str(message.refs.get("path", "/"))
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    return {"review_url": settings.SITE_URL + path}


def register() -> None:
    context_builder_register(DAILY_DIGEST, _digest_context)
    context_builder_register(SAFETY_ALERT, _safety_alert_context)
