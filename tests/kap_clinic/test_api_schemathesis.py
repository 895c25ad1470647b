"""Schemathesis over the whole API, in-process through the WSGI app, as each API role.

Every operation of the OpenAPI schema gets a bounded number of generated requests (valid and
invalid); each answer must be no server error and must match the schema (status code declared,
content type and body as documented). The demo clinic gives the lists rows to serialize.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.demo import demo_seed

pytestmark = pytest.mark.django_db

# Bounded: 25 operations x 5 roles x this many examples keeps the test near a minute on 2 cores.
EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@contextmanager
def in_process_wsgi() -> Iterator[None]:
    """Like Django's test client (which reconnects these after each of its own requests):
    requests must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _api_schema() -> Any:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = get_wsgi_application()
    loaded.location = "/api/schema/"
    return loaded


def _credentials(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """A signed-in session's cookies and the CSRF header its unsafe requests need."""
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
    return cookies, {"X-CSRFToken": csrf}


def _known_uuids(client: Client, paths: list[str]) -> dict[str, list[str]]:
    """For each list of the API, the uuids of its first rows as this role sees them."""
    known: dict[str, list[str]] = {}
    for path in paths:
        if "{" in path:
            continue
        response = client.get(path, {"limit": 5})
        if response.status_code == 200:
            known[path] = [row["uuid"] for row in response.json()["results"] if "uuid" in row]
    return known


@pytest.mark.parametrize(
    "role", [Role.PATIENT, Role.FRONT_DESK, Role.THERAPIST, Role.PRESCRIBER, Role.CLINIC_ADMIN]
)
def test_the_api_answers_every_generated_request_as_its_schema_says(role: Role) -> None:
    demo_seed()
    user = User.objects.filter(role=role, email__endswith="@kap.example.org").first()
    assert user is not None
    cookies, headers = _credentials(user)
    schema = _api_schema()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    client = Client()
    client.force_login(user)
    known = _known_uuids(client, [operation.path for operation in operations])

    for operation in operations:
        # Half the detail requests name a row the role can see, so serializers run, not just 404.
        uuids = known.get(operation.path.split("{uuid}")[0], [])

        @given(case=operation.as_strategy(), uuid=st.sampled_from([None, *uuids]))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, uuid: str | None) -> None:
            if uuid is not None and "uuid" in (case.path_parameters or {}):
                case.path_parameters["uuid"] = uuid
            try:
                case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)
            except BaseException as error:  # noqa: BLE001  collected, so one run reports every failing operation
                failures.append(f"{case.method} {case.formatted_path}: {error}"[:2000])

        with in_process_wsgi():
            run()
    assert not failures, "\n\n".join(failures[:10])
