import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kap_clinic.env import (
    env_bool,
    env_clock,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    parse_email_url,
)
from tests.conftest import PROJECT_ROOT, subprocess_env

BASE = Path("/srv/kap")


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_boolean_that_is_not_one_is_refused(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        env_bool("DEBUG", False, source={"DEBUG": value})


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("off", False), ("", False), ("Yes", True)]
)
def test_booleans_are_read(value: str, expected: bool) -> None:
    assert env_bool("DEBUG", not expected, source={"DEBUG": value}) is expected


def test_a_whole_number_is_required_and_bounded() -> None:
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("STAFF_IDLE_TIMEOUT_MINUTES", 15, source={"STAFF_IDLE_TIMEOUT_MINUTES": "ten"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int(
            "STAFF_IDLE_TIMEOUT_MINUTES", 15, minimum=1, source={"STAFF_IDLE_TIMEOUT_MINUTES": "0"}
        )
    assert env_int("STAFF_IDLE_TIMEOUT_MINUTES", 15, source={}) == 15


def test_a_required_string_that_is_missing_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        env_str("SECRET_KEY", source={"SECRET_KEY": "  "})


def test_lists_drop_blank_items() -> None:
    assert env_list("ALLOWED_HOSTS", [], source={"ALLOWED_HOSTS": "a.org, ,b.org,"}) == [
        "a.org",
        "b.org",
    ]


@pytest.mark.parametrize("value", ["9pm", "25:00", "21:00:00", "2100"])
def test_a_clock_time_must_be_hh_mm(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="QUIET_HOURS_START must be a time of day"):
        env_clock("QUIET_HOURS_START", "21:00", source={"QUIET_HOURS_START": value})


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="IANA time zone"):
        env_time_zone("TIME_ZONE", "UTC", source={"TIME_ZONE": "Mars/Olympus_Mons"})
    assert (
        env_time_zone("TIME_ZONE", "UTC", source={"TIME_ZONE": "Europe/Lisbon"}) == "Europe/Lisbon"
    )


def test_database_urls_are_parsed() -> None:
    sqlite = env_database("DATABASE_URL", "sqlite:///var/db.sqlite3", base_dir=BASE, source={})
    assert sqlite == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/kap/var/db.sqlite3"}
    postgres = env_database(
        "DATABASE_URL",
        "",
        base_dir=BASE,
        source={"DATABASE_URL": "postgres://kap:p%40ss@db.internal:6543/clinic?sslmode=require"},
    )
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["USER"], postgres["PASSWORD"], postgres["HOST"], postgres["PORT"]) == (
        "kap",
        "p@ss",
        "db.internal",
        "6543",
    )
    assert (postgres["NAME"], postgres["OPTIONS"]) == ("clinic", {"sslmode": "require"})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/kap", "must start with postgres:// or sqlite:///"),
        ("postgres://db.internal:5432/", "needs a database name"),
        ("postgres://db.internal:notaport/kap", "invalid port"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_bad_database_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database("DATABASE_URL", "", base_dir=BASE, source={"DATABASE_URL": url})


def test_email_defaults_to_files_and_reads_smtp_urls() -> None:
    assert env_email("EMAIL_URL", file_path=BASE / "mail", source={})["EMAIL_BACKEND"].endswith(
        "filebased.EmailBackend"
    )
    smtp = parse_email_url("smtp+tls://mailer:s3cret@smtp.example.org")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == (
        "smtp.example.org",
        587,
        True,
    )
    with pytest.raises(ImproperlyConfigured, match="smtp://"):
        parse_email_url("imap://mail.example.org")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in subprocess_env(**env).items()
        if key not in {"SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"} or key in env
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_values() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="clinic.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_bad_value_stops_start_up_with_its_name() -> None:
    result = _manage("check", STAFF_IDLE_TIMEOUT_MINUTES="soon")
    assert result.returncode != 0
    assert "STAFF_IDLE_TIMEOUT_MINUTES must be a whole number" in result.stderr
