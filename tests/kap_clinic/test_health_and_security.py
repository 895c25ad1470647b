import re

import pytest
from django.db import connections
from django.test import Client

from kap_clinic import health
from kap_clinic.accounts.models import User
from kap_clinic.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db


def test_healthz_is_503_when_the_database_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real connection to a port where no database listens.
    settings_dict = {**connections["default"].settings_dict, "HOST": "127.0.0.1", "PORT": "9"}
    unreachable = type(connections["default"])(settings_dict, alias="unreachable")
    monkeypatch.setattr(health, "connections", {"default": unreachable})
    monkeypatch.setattr(health, "check_workers", lambda: {"ok": True, "count": 1})

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    unreachable.close()


def test_every_page_carries_a_content_security_policy_of_self_only(client: Client) -> None:
    response = client.get("/accounts/sign-in/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY


def test_every_field_of_the_sign_in_form_has_a_label(client: Client) -> None:
    html = client.get("/accounts/sign-in/").content.decode()
    for field in ("id_username", "id_password"):
        assert re.search(rf'<label\s+for="{field}"', html), field


def test_the_openapi_schema_is_served_to_signed_in_users_only(
    client: Client, front_desk: User
) -> None:
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(front_desk)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")


def test_the_favicon_redirects_to_the_collected_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].startswith("/static/img/favicon.")
