"""FHIR search parameter parsing shared by the mappers: reference, date and token values.

Bad values raise ``SearchError``, which the API answers with a 400 OperationOutcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class SearchError(ValueError):
    """A search parameter value that cannot be understood."""


_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise SearchError(f"{value!r} is not a known id.") from error


def reference_ids(value: str, resource_type: str) -> list[uuid.UUID]:
    """``Patient/<id>`` or ``<id>``, comma-separated, as UUIDs."""
    ids = []
    for part in value.split(","):
        part = part.strip()
        if "/" in part:
            kind, _, part = part.rpartition("/")
            if kind.rsplit("/", 1)[-1] != resource_type:
                raise SearchError(f"{part!r} does not refer to a {resource_type}.")
        ids.append(_uuid(part))
    return ids


def reference_filter(
    path: str, resource_type: str
) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    """A search filter on a reference: ``path`` is the lookup of the referenced row's UUID."""

    def apply(rows: QuerySet[Any], value: str) -> QuerySet[Any]:
        return rows.filter(**{f"{path}__in": reference_ids(value, resource_type)})

    return apply


def _date_range(value: str) -> tuple[str, datetime, datetime]:
    """The prefix and the [start, end) instant range a FHIR date value stands for."""
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    text = value[2:] if value[:2] in _PREFIXES else value
    zone = timezone.get_current_timezone()
    moment = parse_datetime(text) if "T" in text else None
    if moment is not None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, zone)
        return prefix, moment, moment + timedelta(seconds=1)
    try:
        if len(text) == 4:
            start_day, end_day = date(int(text), 1, 1), date(int(text) + 1, 1, 1)
        elif len(text) == 7:
            year, month = int(text[:4]), int(text[5:7])
            start_day = date(year, month, 1)
            end_day = date(year + month // 12, month % 12 + 1, 1)
        else:
            parsed = parse_date(text)
            if parsed is None:
                raise ValueError(text)
            start_day, end_day = parsed, parsed + timedelta(days=1)
    except ValueError as error:
        raise SearchError(f"{value!r} is not a FHIR date.") from error
    start = timezone.make_aware(datetime.combine(start_day, time.min), zone)
    end = timezone.make_aware(datetime.combine(end_day, time.min), zone)
    return prefix, start, end


def date_q(field: str, value: str, *, dates: bool = False) -> Q:
    """The filter for one FHIR date search value on a datetime field (a date field: ``dates``)."""
    prefix, start_moment, end_moment = _date_range(value)
    start: date | datetime = start_moment.date() if dates else start_moment
    end: date | datetime = end_moment.date() if dates else end_moment
    if prefix == "eq":
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "ne":
        return ~Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix in ("gt", "sa"):
        return Q(**{f"{field}__gte": end})
    if prefix in ("lt", "eb"):
        return Q(**{f"{field}__lt": start})
    if prefix == "ge":
        return Q(**{f"{field}__gte": start})
    return Q(**{f"{field}__lt": end})  # le


def date_filter(
    field: str, *, dates: bool = False
) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    def apply(rows: QuerySet[Any], value: str) -> QuerySet[Any]:
        return rows.filter(date_q(field, value, dates=dates))

    return apply


def token_matches(value: str, codings: Iterable[tuple[str, str]]) -> bool:
    """Whether a token search value (``system|code``, ``code`` or ``system|``) matches."""
    known = list(codings)
    for part in value.split(","):
        system, bar, code = part.strip().rpartition("|")
        for known_system, known_code in known:
            if bar and system and system != known_system:
                continue
            if code == "" and bar:
                return True
            if code == known_code:
                return True
    return False


def fixed_token(*codings: tuple[str, str]) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    """A token filter for a source whose rows all carry the same codes."""

    def apply(rows: QuerySet[Any], value: str) -> QuerySet[Any]:
        return rows if token_matches(value, codings) else rows.none()

    return apply


def choice_token(
    field: str, system: str, values: Iterable[str]
) -> Callable[[QuerySet[Any], str], QuerySet[Any]]:
    """A token filter on a choice field whose values are the codes in ``system``."""
    allowed = list(values)

    def apply(rows: QuerySet[Any], value: str) -> QuerySet[Any]:
        codes = [code for code in allowed if token_matches(value, [(system, code)])]
        return rows.filter(**{f"{field}__in": codes})

    return apply
