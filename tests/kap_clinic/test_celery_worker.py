"""A real Celery worker, started against the test broker, answers tasks and shows in /healthz."""

import subprocess

import pytest
from django.conf import settings
from django.test import Client

from kap_clinic.celery import app, ping

pytestmark = [pytest.mark.worker, pytest.mark.django_db]


def test_the_broker_under_test_is_redis() -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://"), (
        "make test runs the suite against Redis"
    )


def test_celery_is_configured_for_reliable_delivery() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit


def test_a_real_worker_answers_a_ping_task(celery_worker_process: subprocess.Popen[bytes]) -> None:
    result = ping.delay()
    assert result.get(timeout=30) == "pong"


def test_healthz_reports_database_broker_and_worker(
    client: Client, celery_worker_process: subprocess.Popen[bytes]
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["worker"]["ok"] is True
    assert body["worker"]["count"] >= 1


def test_every_beat_entry_names_a_registered_task() -> None:
    app.loader.import_default_modules()
    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert names >= {
        "notifications.messages_dispatch",
        "notifications.daily_digests_queue",
        "integration.measures_plan_courses",
    }
    assert names <= set(app.tasks)
