"""The compose stack serves through a TLS proxy; the app is on the internal network only
(issue 17, item 7: port 8000 was published with TRUST_X_FORWARDED_PROTO=1)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

APP_SERVICES = ["web", "worker", "beat"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_ports(compose: dict[str, Any]) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    assert compose["services"]["proxy"]["ports"] == ["80:80", "443:443"]
    assert compose["services"]["proxy"]["image"].startswith("caddy:")


def test_the_proxy_forwards_to_web_over_the_internal_network(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["command"][:2] == ["caddy", "reverse-proxy"]
    assert proxy["command"][proxy["command"].index("--to") + 1] == "web:8000"
    assert compose["networks"]["default"] == {"internal": True}
    assert "default" in proxy["networks"]
    web = compose["services"]["web"]
    assert "networks" not in web  # the internal default network only
    assert web["expose"] == ["8000"]


def test_forwarded_proto_is_trusted_only_inside_the_stack(compose: dict[str, Any]) -> None:
    environment = compose["x-app"]["environment"]
    assert environment["TRUST_X_FORWARDED_PROTO"] == "1"
    assert environment["SITE_URL"].startswith("https://")
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert not service.get("ports"), name
        assert "public" not in service.get("networks", []) or name == "worker"


def test_the_access_log_never_holds_query_strings(compose: dict[str, Any]) -> None:
    command = compose["services"]["web"]["command"]
    assert "--access-logformat" in command
    log_format = command.split("--access-logformat", 1)[1]
    assert "%(U)s" in log_format
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert leaky not in log_format
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert '"--access-logformat", "%(h)s %(t)s \\"%(m)s %(U)s\\"' in dockerfile


def test_production_needs_email_and_sms_or_an_explicit_allowance(compose: dict[str, Any]) -> None:
    environment = compose["x-app"]["environment"]
    assert environment["ALLOW_CONSOLE_SMS"] == "${ALLOW_CONSOLE_SMS:-0}"
    assert environment["ALLOW_FILE_EMAIL"] == "${ALLOW_FILE_EMAIL:-0}"
    assert Path(PROJECT_ROOT / "docker-compose.yml").read_text().count("8000:8000") == 0
