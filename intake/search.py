"""Finding a patient from the header's search box: name, MRN, date of birth, phone or email.

Names match without accents or case and by parts of words ("jose" finds "José", "mor" finds
"Morgan"). The matching text is kept on the patient row (``search_text``), so the search is one
indexed query on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

# The forms clinics type a date of birth in (issue #10); US order for slashes.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")
# A phone number has at least seven digits; fewer is an MRN.
PHONE_MINIMUM_DIGITS = 7
MAX_WORDS = 5


def normalize(text: str) -> str:
    """Lower case, without accents: "Zoë Ólafsdóttir" -> "zoe olafsdottir"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phone_key(text: str) -> str:
    """The national number: the digits without a leading North American country code."""
    number = digits(text)
    return number[1:] if len(number) == 11 and number.startswith("1") else number


def search_text(patient: Any) -> str:
    """What the search matches against, for one patient row."""
    parts = [
        patient.legal_first_name,
        patient.legal_last_name,
        patient.preferred_name,
        patient.email,
    ]
    phone = phone_key(patient.mobile or "")
    return " ".join(normalize(part) for part in parts if part) + (f" #{phone}" if phone else "")


def parse_date(term: str) -> date | None:
    cleaned = re.sub(r"[,.]", " ", term).strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007  (a date, no time)
        except ValueError:
            continue
    return None


def search_filter(term: str) -> Q:
    """The filter for one search term, whichever identifier it is."""
    term = term.strip()
    if not term:
        return Q(pk__in=[])
    born = parse_date(term)
    if born is not None:
        return Q(date_of_birth=born)
    if "@" in term:
        return Q(email__iexact=term) | Q(search_text__contains=normalize(term))
    if re.fullmatch(r"[\d\s()+.\-]+", term):
        number = digits(term)
        if len(number) >= PHONE_MINIMUM_DIGITS:
            return Q(search_text__contains=f"#{phone_key(term)}")
        return Q(mrn=number.zfill(6)) | Q(mrn=number)
    words = normalize(term).split()[:MAX_WORDS]
    found = Q()
    for word in words:
        found &= Q(search_text__contains=word)
    return found


def patients_search(patients: QuerySet[Any], term: str) -> QuerySet[Any]:
    return patients.filter(search_filter(term))
