from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(
    request: HttpRequest, items: QuerySet[Any], *, per_page: int = PAGE_SIZE
) -> dict[str, Any]:
    """The requested page of ``items``, and the query string that keeps the current filters."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return {
        "page": Paginator(items, per_page).get_page(request.GET.get("page")),
        "page_query": f"{encoded}&" if encoded else "",
    }
