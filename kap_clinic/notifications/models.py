"""The outbox: one row per message, written in the same transaction as the event that caused it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PORTAL = "portal", "Portal inbox"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Message(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Who receives it: a kind registered by a domain app (e.g. "patient") or "user", and its UUID.
    # Contact details are resolved when the message is sent, so corrections are honoured.
    recipient_kind = models.CharField(max_length=40)
    recipient_id = models.CharField(max_length=64)
    # The recipient's sign-in, when they have one: the portal inbox and access checks use it.
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages_received",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template_key = models.CharField(max_length=80)
    # The ids the message refers to ({"appointment": "<uuid>"}), never names or clinical content.
    refs = models.JSONField(default=dict, blank=True)
    # Groups the pending messages about one thing ("appointment:<uuid>") to cancel or move them.
    subject_key = models.CharField(max_length=120, blank=True, db_index=True)
    send_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    # Essential messages (appointments, safety) go out even to a recipient who opted out.
    essential = models.BooleanField(default=False)
    # Urgent messages ignore quiet hours.
    urgent = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Who holds the claim (the send task's id): a task retried after a database error takes its
    # own claim back at once. Blank once the outcome is recorded.
    claimed_by = models.CharField(max_length=64, blank=True)
    # The retry schedule after a transient failure: the dispatcher takes the row again then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The first try: the retry budget (policy, 24 h by default) counts from here.
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What was sent, as rendered: the portal inbox and the message log show it.
    rendered_subject = models.CharField(max_length=300, blank=True)
    rendered_body = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # A failed message resent by staff is a new row pointing at the one that failed.
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        ordering = ["-send_at", "-id"]
        permissions = [("resend_message", "Can resend a failed message")]
        indexes = [
            models.Index(fields=["status", "send_at"], name="message_due_idx"),
            models.Index(fields=["recipient_kind", "recipient_id"], name="message_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} → {self.recipient_kind}:{self.recipient_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == MessageStatus.QUEUED


class ContactPreference(models.Model):
    """How one recipient wants to hear from the clinic; applied whenever a message is requested."""

    recipient_kind = models.CharField(max_length=40)
    recipient_id = models.CharField(max_length=64)
    # Blank: no preference (the recipient's default channel is used).
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    # Opted out of non-essential messages; appointment and safety messages still go.
    opted_out = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_kind", "recipient_id"], name="contact_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_kind}:{self.recipient_id}"


class Article(models.Model):
    """Preparation material a clinic admin writes in Markdown; rendered sanitised."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    body_markdown = models.TextField("body (Markdown)")
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ArticleStep(models.Model):
    """An article attached to a step of the patient timeline, named by its template key."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="steps")
    template_key = models.CharField(max_length=80, db_index=True)

    class Meta:
        ordering = ["template_key"]
        constraints = [
            models.UniqueConstraint(fields=["article", "template_key"], name="article_step_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template_key}: {self.article_id}"
