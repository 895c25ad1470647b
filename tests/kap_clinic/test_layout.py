from pathlib import Path

from django.apps import apps
from django.conf import settings

from tests.conftest import PROJECT_ROOT


def test_sessions_app_keeps_its_directory_under_the_kap_sessions_label() -> None:
    assert apps.get_app_config("kap_sessions").name == "sessions"
    assert apps.get_app_config("sessions").name == "django.contrib.sessions"


def test_the_layout_of_the_design_is_in_place() -> None:
    for path in [
        "manage.py",
        "pyproject.toml",
        "README.md",
        "docker-compose.yml",
        "Dockerfile",
        "Makefile",
        ".ci/run",
        "kap_clinic/settings.py",
        "kap_clinic/urls.py",
        "kap_clinic/celery.py",
        "kap_clinic/wsgi.py",
        "kap_clinic/asgi.py",
        "kap_clinic/accounts",
        "kap_clinic/audit",
        "kap_clinic/notifications",
        "intake",
        "sessions",
        "integration",
        "templates",
        "static",
        "tests",
    ]:
        assert (PROJECT_ROOT / path).exists(), path


def test_users_are_the_custom_model_hashed_with_argon2() -> None:
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_no_template_loads_anything_from_another_origin() -> None:
    offenders = []
    for template in Path(PROJECT_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for marker in ('src="http', "src='http", 'href="http', 'src="//', 'href="//'):
            if marker in text:
                offenders.append(f"{template}: {marker}")
    assert offenders == []


def test_nothing_third_party_is_committed_to_static() -> None:
    names = {path.name for path in Path(PROJECT_ROOT / "static").rglob("*") if path.is_file()}
    assert not {name for name in names if "bootstrap" in name or "htmx" in name}
