"""A link crawler from each role's landing page: every chart section of a demo patient is
reachable in three clicks or fewer, and no page reached answers 500."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from kap_clinic.accounts.models import User
from kap_clinic.chart import chart_sections_for
from kap_clinic.demo import demo_seed

pytestmark = pytest.mark.django_db

MAX_CLICKS = 3
HREF = re.compile(r'href="([^"#]*)')
# Links that are not pages of the clinic (files, the admin site, the API) or would end the visit.
SKIP = ("/static/", "/admin/", "/api/", "/logout", "/favicon", "/fhir/")


def _links(html: str) -> set[str]:
    found = set()
    for href in HREF.findall(html):
        url = urldefrag(href.replace("&amp;", "&"))[0]
        if not url.startswith("/") or url.startswith("//") or url.startswith(SKIP):
            continue
        # Paging and filters repeat a page; the crawler follows each path once.
        found.add(urlsplit(url).path)
    return found


def _crawl(client: Client, start: str) -> tuple[dict[str, int], list[str]]:
    """Each path reached with the fewest clicks from ``start``, and any page that answered 5xx."""
    depth = {start: 0}
    failures: list[str] = []
    queue = deque([start])
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(url)
            continue
        if response.status_code != 200 or depth[url] == MAX_CLICKS:
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode()):
            if link not in depth:
                depth[link] = depth[url] + 1
                queue.append(link)
    return depth, failures


@pytest.mark.parametrize(
    "email",
    [
        "therapist@kap.example.org",
        "prescriber@kap.example.org",
        "frontdesk@kap.example.org",
        "admin@kap.example.org",
        "patient@kap.example.org",
    ],
)
def test_every_chart_section_of_a_demo_patient_is_three_clicks_from_landing(
    client: Client, email: str
) -> None:
    demo_seed()
    user = User.objects.get(email=email)
    client.force_login(user)
    landing = client.get(reverse("accounts:index"), follow=True)
    assert landing.status_code == 200
    start = landing.redirect_chain[-1][0] if landing.redirect_chain else reverse("accounts:index")
    depth, failures = _crawl(client, start)
    assert failures == []
    if user.is_patient:
        patients = [Patient.objects.get(user=user)]
    else:
        # The demo patients of the care team (all of them for front desk and admins).
        from intake.selectors import patients_visible_to

        patients = list(patients_visible_to(user=user).exclude(status="invited"))
    assert patients
    for patient in patients:
        expected = [reverse("intake:patient_detail", args=[patient.uuid])]
        expected += [
            reverse("intake:chart_section", args=[patient.uuid, section.key])
            for section in chart_sections_for(patient=patient, user=user)
        ]
        for url in expected:
            assert url in depth, f"{patient.display_name}: {url} not reachable"
            assert depth[url] <= MAX_CLICKS
