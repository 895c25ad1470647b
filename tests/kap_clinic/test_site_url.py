"""Links in emails work on whatever host and port the app runs: `make run` derives SITE_URL from
HOST and PORT, and an invitation email's link opens on the running server."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, subprocess_env

RENDER_INVITATION = """
from datetime import date
from intake import services
from kap_clinic.accounts.models import User
from kap_clinic.notifications.content import message_render
from kap_clinic.notifications.models import Message
desk = User.objects.get(email="frontdesk@kap.example.org")
services.patient_invite(
    legal_first_name="Link", legal_last_name="Tester", date_of_birth=date(1990, 1, 1),
    email="link.tester@example.org", by=desk,
)
message = Message.objects.filter(template_key="intake.invitation").latest("id")
print(message_render(message).text)
"""


def _site_url(**env: str) -> str:
    result = subprocess.run(
        ["bash", "scripts/run.sh", "--print-site-url"],
        cwd=PROJECT_ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_run_derives_the_site_url_from_host_and_port() -> None:
    environment = {"SITE_URL": ""}
    assert _site_url(HOST="127.0.0.1", PORT="9123", **environment) == "http://127.0.0.1:9123"
    assert _site_url(HOST="0.0.0.0", PORT="8080", **environment) == "http://127.0.0.1:8080"  # noqa: S104
    assert _site_url(HOST="clinic.test", PORT="80", SITE_URL="https://kap.example") == (
        "https://kap.example"
    )


@pytest.mark.usefixtures("transactional_db")
def test_an_invitation_link_opens_on_the_running_host(tmp_path: Path) -> None:
    port = _free_port()
    site_url = _site_url(HOST="127.0.0.1", PORT=str(port), SITE_URL="")
    env = subprocess_env(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        EMAIL_URL="",
        SITE_URL=site_url,
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["seed_demo"]):
        subprocess.run(
            manage + command,
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )
    email = subprocess.run(
        [*manage, "shell", "-c", RENDER_INVITATION],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    link = re.search(r"https?://\S+/patients/invitation/\S+/", email)
    assert link is not None, email
    assert link.group(0).startswith(f"http://127.0.0.1:{port}/")
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the development server did not start")
                # Wait on the process itself (an event: it exiting) before probing again.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=0.2)
        with urllib.request.urlopen(link.group(0), timeout=30) as response:  # noqa: S310
            page = response.read().decode()
        assert response.status == 200
        assert "Link" in page
        assert "password" in page.lower()
    finally:
        server.terminate()
        server.wait(timeout=20)
