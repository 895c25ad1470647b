"""The preparation library: articles in Markdown, rendered to sanitised HTML, and their services."""

from __future__ import annotations

import re
from collections.abc import Iterable

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from kap_clinic.notifications.models import Article, ArticleStep

# What an article may contain once rendered: text structure and links, no images (they would load
# from elsewhere), no scripts, styles or event handlers.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
TEMPLATE_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def markdown_render(text: str) -> SafeString:
    html = markdown.markdown(text, extensions=["sane_lists", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308  (sanitised by nh3 just above)


def template_keys_parse(text: str) -> list[str]:
    """Template keys written one per line or comma-separated, validated and de-duplicated."""
    keys = [item.strip() for item in re.split(r"[\s,]+", text) if item.strip()]
    bad = [key for key in keys if not TEMPLATE_KEY.match(key)]
    if bad:
        raise ValidationError(
            f"Not a template key: {', '.join(bad)} (e.g. appointment.reminder_72h)."
        )
    return sorted(set(keys))


@transaction.atomic
def article_save(
    *,
    article: Article | None = None,
    title: str,
    slug: str,
    summary: str,
    body_markdown: str,
    published: bool,
    template_keys: Iterable[str],
) -> Article:
    """Creates or updates an article and the timeline steps it is attached to."""
    article = article or Article()
    article.title = title
    article.slug = slug
    article.summary = summary
    article.body_markdown = body_markdown
    article.published = published
    article.updated_at = timezone.now()
    article.full_clean()
    article.save()
    keys = set(template_keys)
    article.steps.exclude(template_key__in=keys).delete()
    existing = set(article.steps.values_list("template_key", flat=True))
    ArticleStep.objects.bulk_create(
        ArticleStep(article=article, template_key=key) for key in sorted(keys - existing)
    )
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    article.delete()
