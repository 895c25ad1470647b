"""Reads that decide access: the inbox is the signed-in user's own; the log is for staff."""

from __future__ import annotations

from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from kap_clinic.accounts.models import User
from kap_clinic.notifications.models import Article, Channel, Message, MessageStatus


def inbox_messages(*, user: User) -> QuerySet[Message]:
    return Message.objects.filter(
        recipient_user=user, channel=Channel.PORTAL, status=MessageStatus.SENT
    ).order_by("-sent_at", "-id")


def inbox_unread_count(*, user: User) -> int:
    return inbox_messages(user=user).filter(read_at__isnull=True).count()


def messages_for_log(
    *, status: str = "", recipient_kind: str = "", recipient_id: str = "", template_key: str = ""
) -> QuerySet[Message]:
    """The message log (callers check the view_message permission first), what needs someone
    first: failed, then due and not yet sent, then what went out (newest first), then what is
    scheduled (soonest first), so a reminder for next year never heads the page."""
    now = timezone.now()
    messages = (
        Message.objects.select_related("recipient_user")
        .annotate(
            log_group=Case(
                When(status=MessageStatus.FAILED, then=Value(0)),
                When(status=MessageStatus.QUEUED, send_at__lte=now, then=Value(1)),
                When(send_at__lte=now, then=Value(2)),
                default=Value(3),
            ),
            log_past=Case(When(send_at__lte=now, then=F("send_at")), default=None),
            log_future=Case(When(send_at__gt=now, then=F("send_at")), default=None),
        )
        .order_by(
            "log_group",
            F("log_past").desc(nulls_last=True),
            F("log_future").asc(nulls_last=True),
            "-id",
        )
    )
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    if recipient_kind:
        messages = messages.filter(recipient_kind=recipient_kind, recipient_id=recipient_id)
    if template_key:
        messages = messages.filter(template_key=template_key)
    # The log never loads message text: it may hold clinical content the front desk must not see.
    return messages.defer("rendered_subject", "rendered_body")


def articles_readable_by(*, user: User) -> QuerySet[Article]:
    """Published articles; clinic admins also see drafts."""
    articles = Article.objects.order_by("title")
    if user.has_perm("notifications.change_article"):
        return articles
    return articles.filter(published=True)
