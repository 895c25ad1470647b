"""Pages of the outbox: the portal inbox, the staff message log with resend, the one-click
unsubscribe, and the preparation library (read by everyone signed in, written by clinic admins)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kap_clinic.accounts.access import AuthenticatedRequest, permission_required
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.notifications.delivery import UNSUBSCRIBE_SALT
from kap_clinic.notifications.forms import ArticleForm
from kap_clinic.notifications.library import article_delete, article_save, markdown_render
from kap_clinic.notifications.models import Article, Message, MessageStatus
from kap_clinic.notifications.selectors import (
    articles_readable_by,
    inbox_messages,
    messages_for_log,
)
from kap_clinic.notifications.services import (
    contact_preference_set,
    message_resend,
    messages_resend_failed,
)
from kap_clinic.pagination import paginate


# --- portal inbox -------------------------------------------------------------------------------
@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "notifications/inbox_list.html",
        paginate(request, inbox_messages(user=request.user)),
    )


@login_required
def inbox_message(request: AuthenticatedRequest, message_uuid: UUID) -> HttpResponse:
    """One message of the signed-in user's inbox (anyone else's: 404); opening marks it read."""
    message = get_object_or_404(inbox_messages(user=request.user), uuid=message_uuid)
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    audit_record(action=AuditAction.READ, request=request, obj=message, detail="inbox message")
    return render(request, "notifications/inbox_detail.html", {"message": message})


# --- staff message log --------------------------------------------------------------------------
def _log_page(
    request: AuthenticatedRequest, *, recipient_kind: str = "", recipient_id: str = ""
) -> HttpResponse:
    status = request.GET.get("status", "")
    template_key = request.GET.get("template", "")
    log = messages_for_log(
        status=status,
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        template_key=template_key,
    )
    return render(
        request,
        "notifications/message_list.html",
        {
            "status": status,
            "statuses": MessageStatus.choices,
            "template_key": template_key,
            "recipient_kind": recipient_kind,
            "recipient_id": recipient_id,
            "can_resend": request.user.has_perm("notifications.resend_message"),
            **paginate(request, log),
        },
    )


@permission_required("notifications.view_message")
def message_log(request: AuthenticatedRequest) -> HttpResponse:
    return _log_page(request)


@permission_required("notifications.view_message")
def message_log_recipient(
    request: AuthenticatedRequest, recipient_kind: str, recipient_id: UUID
) -> HttpResponse:
    """The messages to one recipient, e.g. ``patient/<patient uuid>/``."""
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type=f"notifications.{recipient_kind}",
        object_id=str(recipient_id),
        detail="message log",
    )
    return _log_page(request, recipient_kind=recipient_kind, recipient_id=str(recipient_id))


@require_POST
@permission_required("notifications.resend_message")
def message_resend_view(request: AuthenticatedRequest, message_uuid: UUID) -> HttpResponse:
    message = get_object_or_404(Message, uuid=message_uuid)
    try:
        message_resend(message=message, by=request.user, request=request)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, "The message is queued again.")
    return _back_to_log(request)


def _back_to_log(request: AuthenticatedRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "notifications:message_log")


@require_POST
@permission_required("notifications.resend_message")
def messages_resend_failed_view(request: AuthenticatedRequest) -> HttpResponse:
    """Resends the failed messages the log's filter shows (one recipient, one template, or all)."""
    count = messages_resend_failed(
        by=request.user,
        request=request,
        recipient_kind=request.POST.get("recipient_kind", ""),
        recipient_id=request.POST.get("recipient_id", ""),
        template_key=request.POST.get("template", ""),
    )
    if count:
        flash.success(request, f"{count} failed message{pluralize(count)} queued again.")
    else:
        flash.info(request, "No failed message to resend.")
    return _back_to_log(request)


# --- unsubscribe --------------------------------------------------------------------------------
@csrf_exempt  # the signed token in the URL is the authority; mail clients post without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click opts the recipient out of non-essential messages (GET from the email link, or the
    RFC 8058 one-click POST); the confirmation page offers to undo it."""
    try:
        who = signing.loads(
            token,
            salt=UNSUBSCRIBE_SALT,
            max_age=timedelta(days=settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS),
        )
    except signing.BadSignature:  # SignatureExpired too: an old link opts nobody out
        raise Http404 from None
    resubscribe = request.method == "POST" and request.POST.get("action") == "resubscribe"
    contact_preference_set(
        recipient_kind=str(who["k"]), recipient_id=str(who["i"]), opted_out=not resubscribe
    )
    return render(
        request,
        "notifications/unsubscribe_done.html",
        {"opted_out": not resubscribe, "token": token},
    )


# --- preparation library ------------------------------------------------------------------------
@login_required
def library(request: AuthenticatedRequest) -> HttpResponse:
    articles = articles_readable_by(user=request.user).prefetch_related("steps")
    return render(request, "notifications/article_list.html", paginate(request, articles))


@login_required
def article_read(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(articles_readable_by(user=request.user), slug=slug)
    return render(
        request,
        "notifications/article_detail.html",
        {"article": article, "body": markdown_render(article.body_markdown)},
    )


def _article_form_page(request: AuthenticatedRequest, article: Article | None) -> HttpResponse:
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        try:
            saved = article_save(
                article=article,
                template_keys=form.cleaned_data["template_keys"],
                **{name: form.cleaned_data[name] for name in ArticleForm.Meta.fields},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            audit_record(
                action=AuditAction.UPDATE if article else AuditAction.CREATE,
                request=request,
                obj=saved,
                detail="preparation article",
            )
            flash.success(request, "The article is saved.")
            return redirect("notifications:article_read", slug=saved.slug)
    return render(request, "notifications/article_form.html", {"form": form, "article": article})


@permission_required("notifications.add_article")
def article_create(request: AuthenticatedRequest) -> HttpResponse:
    return _article_form_page(request, None)


@permission_required("notifications.change_article")
def article_edit(request: AuthenticatedRequest, article_uuid: UUID) -> HttpResponse:
    return _article_form_page(request, get_object_or_404(Article, uuid=article_uuid))


@permission_required("notifications.delete_article")
def article_delete_view(request: AuthenticatedRequest, article_uuid: UUID) -> HttpResponse:
    article = get_object_or_404(Article, uuid=article_uuid)
    if request.method == "POST":
        audit_record(
            action=AuditAction.DELETE, request=request, obj=article, detail="preparation article"
        )
        article_delete(article=article)
        flash.success(request, "The article is deleted.")
        return redirect("notifications:library")
    return render(request, "notifications/article_confirm_delete.html", {"article": article})
