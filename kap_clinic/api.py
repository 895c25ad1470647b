"""What every API router and list shares: no format-suffix routes, and bounded pagination."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.routers import DefaultRouter

# An offset past this answers an empty page (PostgreSQL's bigint would overflow far above it).
MAX_OFFSET = 1_000_000_000


class ApiRouter(DefaultRouter):
    """The API's router: JSON only, so no `.json` suffix routes (they duplicated every route)."""

    include_format_suffixes = False


class ApiPagination(LimitOffsetPagination):
    """?limit= is capped at ``max_limit``; an oversized or malformed number never reaches SQL."""

    default_limit = 50
    max_limit = 200

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


# The errors any operation can answer, declared so clients (and schemathesis) expect them: 400 bad
# input (field errors or a reason), 401/403 not signed in or not allowed, 404 not found or not
# visible to the caller.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_RESPONSES = {
    "400": "Bad input: the reason, or the errors per field.",
    "401": "Not signed in.",
    "403": "Not signed in, or the role may not do this.",
    "404": "Not found, or not visible to the caller.",
}


def error_responses_declare(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation declares the API's error answers."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status_code, response in responses.items():
                # Errors declared without a body (`400: None`) still answer JSON with a reason.
                if status_code.startswith("4") and not response.get("content"):
                    response["content"] = {"application/json": {"schema": reference}}
            for status_code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    status_code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
