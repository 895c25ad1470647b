"""Real workers and dispatchers in child processes, against the test database.

They use their own Redis database (or their own Redis server), so the suite's shared worker, which
points at the development database, never takes their tasks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from celery import Celery
from django.db import connection

from tests.conftest import PROJECT_ROOT, subprocess_env

WORKER_REDIS_DB = 7
DISPATCH_SCRIPT = (
    "import sys, django; django.setup(); "
    "from kap_clinic.notifications.delivery import messages_dispatch; "
    "print(messages_dispatch(batch_size=int(sys.argv[1])))"
)

# Beat, sped up: the dispatcher again every ``interval`` seconds, surviving a database restart.
DISPATCH_LOOP_SCRIPT = (
    "import sys, time, django; django.setup(); "
    "from django.db import connection; "
    "from kap_clinic.notifications.delivery import messages_dispatch\n"
    "while True:\n"
    "    try:\n"
    "        messages_dispatch()\n"
    "    except Exception:\n"
    "        connection.close()\n"
    "    time.sleep(float(sys.argv[1]))\n"
)
# The web process: requests messages (to the user with the given UUID) in one transaction and
# prints their ids; messages due now are enqueued when it commits.
REQUEST_SCRIPT = (
    "import sys, django; django.setup(); "
    "from django.db import transaction; "
    "from kap_clinic.accounts.models import User; "
    "from kap_clinic.notifications.recipients import recipient_for_user; "
    "from kap_clinic.notifications.services import message_request, SAFETY_ALERT; "
    "user = User.objects.get(uuid=sys.argv[1]); "
    "urgent = sys.argv[3] == 'urgent'; "
    "atomic = transaction.atomic(); atomic.__enter__(); "
    "ids = [message_request(recipient=recipient_for_user(user), template_key=SAFETY_ALERT, "
    "idempotency_key=f'{sys.argv[2]}-{n}', refs={'path': '/'}, channel='email', "
    "essential=True, urgent=urgent).id for n in range(int(sys.argv[4]))]; "
    "atomic.__exit__(None, None, None); print(' '.join(map(str, ids)))"
)


def children_database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def isolated_redis_url() -> str:
    """The suite's Redis server, but a database of its own."""
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{WORKER_REDIS_DB}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(*, redis_url: str, delivery_log: Path, **extra: str) -> dict[str, str]:
    return subprocess_env(
        DJANGO_SETTINGS_MODULE="tests.notifications.worker_settings",
        DATABASE_URL=children_database_url(),
        REDIS_URL=redis_url,
        KAP_TEST_DELIVERY_LOG=str(delivery_log),
        **extra,
    )


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Polls ``condition`` (a database or process state another process changes) until true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def worker_start(
    env: dict[str, str], *, name: str, pool: str = "solo", concurrency: int = 1
) -> subprocess.Popen[bytes]:
    hostname = f"{name}-{os.getpid()}@localhost"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kap_clinic",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            f"--hostname={hostname}",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    probe = Celery("probe", broker=env["REDIS_URL"])
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            # ping() waits up to its timeout for the worker's reply: an awaited event.
            if probe.control.ping(destination=[hostname], timeout=1.0):
                return process
            if process.poll() is not None:
                raise AssertionError(f"worker {name} exited with {process.returncode}")
        raise AssertionError(f"worker {name} did not answer a ping within 60 seconds")
    except BaseException:
        worker_stop(process)
        raise
    finally:
        probe.close()


def worker_stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def dispatcher_start(env: dict[str, str], *, batch_size: int = 500) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", DISPATCH_SCRIPT, str(batch_size)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def dispatcher_result(process: subprocess.Popen[bytes]) -> int:
    """How many messages the dispatcher run claimed; fails the test if it crashed."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    return int(out.decode().strip().splitlines()[-1])


def dispatch(env: dict[str, str], *, batch_size: int = 500) -> int:
    return dispatcher_result(dispatcher_start(env, batch_size=batch_size))


def deliveries(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def dispatcher_loop_start(env: dict[str, str], *, interval: float = 0.5) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", DISPATCH_LOOP_SCRIPT, str(interval)], cwd=PROJECT_ROOT, env=env
    )


def request_in_child(
    env: dict[str, str], *, user_uuid: str, prefix: str, urgent: bool, count: int = 1
) -> list[int]:
    """Requests ``count`` alerts to a user from a child process (as the web app would)."""
    result = subprocess.run(
        [sys.executable, "-c", REQUEST_SCRIPT, user_uuid, prefix,
         "urgent" if urgent else "essential", str(count)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return [int(pk) for pk in result.stdout.decode().split()]
