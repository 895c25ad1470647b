"""The audit hash chain: every change, gap or deletion shows, and the app role cannot erase it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from kap_clinic.accounts.models import User
from kap_clinic.audit.chain import GENESIS_HASH, audit_chain_check
from kap_clinic.audit.digest import audit_chain_status
from kap_clinic.audit.models import AuditAction, AuditEvent, AuditVerification
from kap_clinic.audit.privileges import audit_privileges_restrict
from kap_clinic.audit.services import audit_record
from kap_clinic.audit.tasks import chain_verify
from kap_clinic.notifications.digest import daily_digests_queue
from kap_clinic.notifications.models import Message
from kap_clinic.notifications.services import DAILY_DIGEST

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(therapist: User, rf: RequestFactory) -> list[AuditEvent]:
    request = rf.get("/", REMOTE_ADDR="2001:db8::1", HTTP_USER_AGENT="Test \u00e9 agent")
    request.user = therapist
    from_request = audit_record(action=AuditAction.READ, request=request, detail="Zoë's chart")
    return [
        from_request,
        *[
            audit_record(
                action=AuditAction.READ,
                actor=therapist,
                object_type="intake.patient",
                object_id=f"p-{index}",
            )
            for index in range(5)
        ],
    ]


def _as_database_superuser(sql: str, params: list[object]) -> None:
    """What an attacker with the owner's or a superuser's rights can do: bypass the trigger."""
    with connection.cursor() as cursor:
        # A superuser session that skips triggers (as replication does).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def _as_app_role(statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE kap_test_app")
        cursor.execute(statement)


def test_rows_are_chained_in_order(events: list[AuditEvent]) -> None:
    first, second = sorted(events, key=lambda event: event.sequence)[:2]
    assert second.sequence == first.sequence + 1
    assert second.previous_hash == first.row_hash
    assert len(first.row_hash) == 64
    report = audit_chain_check()
    assert report.ok, report.problem
    assert report.rows_checked == AuditEvent.objects.count()


def test_the_first_row_follows_the_genesis_hash(events: list[AuditEvent]) -> None:
    assert AuditEvent.objects.order_by("sequence").first().previous_hash == GENESIS_HASH


def test_an_altered_row_is_detected(events: list[AuditEvent]) -> None:
    altered = events[2]
    _as_database_superuser(
        "UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["someone-else", altered.pk]
    )
    report = audit_chain_check()
    assert not report.ok
    assert report.problem == f"row {altered.sequence} was changed"
    with pytest.raises(CommandError, match="was changed"):
        call_command("audit_verify")
    assert AuditVerification.objects.first().ok is False


def test_a_deleted_row_is_detected(events: list[AuditEvent]) -> None:
    deleted = events[1]
    _as_database_superuser("DELETE FROM audit_auditevent WHERE id = %s", [deleted.pk])
    report = audit_chain_check()
    assert not report.ok
    assert f"rows {deleted.sequence} to {deleted.sequence} are missing" in report.problem


def test_a_deleted_last_row_is_detected(events: list[AuditEvent]) -> None:
    _as_database_superuser("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert "missing from the end" in audit_chain_check().problem


def test_a_recomputed_row_still_breaks_the_link_to_the_next(events: list[AuditEvent]) -> None:
    # Rewriting a row's hash to match its new content breaks the next row's previous_hash.
    _as_database_superuser(
        "UPDATE audit_auditevent SET row_hash = %s WHERE id = %s", ["f" * 64, events[1].pk]
    )
    assert not audit_chain_check().ok


def test_audit_verify_passes_on_an_intact_chain(
    events: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit_verify")
    assert f"Audit chain intact: {AuditEvent.objects.count()} rows." in capsys.readouterr().out


def test_appends_inside_one_transaction_and_after_a_rollback_keep_the_chain(
    therapist: User,
) -> None:
    def record_then_fail() -> None:
        with transaction.atomic():
            audit_record(action=AuditAction.READ, actor=therapist, object_type="x", object_id="1")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        record_then_fail()
    audit_record(action=AuditAction.READ, actor=therapist, object_type="x", object_id="2")
    assert audit_chain_check().ok


def test_the_app_role_cannot_truncate_update_or_delete_the_audit_record(
    events: list[AuditEvent],
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE kap_test_app NOLOGIN")
        # What a deployment's default privileges would give the app role on every table.
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO kap_test_app")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO kap_test_app")
    audit_privileges_restrict(connection, "kap_test_app")
    for statement in [
        "TRUNCATE audit_auditevent",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET detail = 'x'",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
        "DROP TRIGGER audit_event_append_only ON audit_auditevent",
    ]:
        with pytest.raises(DatabaseError):
            _as_app_role(statement)
    # The app role can still append.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE kap_test_app")
        audit_record(action=AuditAction.READ, object_type="x", object_id="appended")
    assert AuditEvent.objects.filter(object_id="appended").exists()
    assert audit_chain_check().ok


def test_the_daily_task_records_the_check_for_the_admins_digest(
    events: list[AuditEvent], clinic_admin: User, therapist: User
) -> None:
    assert chain_verify() is True
    day = date(2026, 6, 2)
    assert audit_chain_status(therapist, day) == []
    [line] = audit_chain_status(clinic_admin, day)
    assert "Audit record intact" in line
    _as_database_superuser("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    assert chain_verify() is False
    [line] = audit_chain_status(clinic_admin, day)
    assert line.startswith("AUDIT RECORD BROKEN")
    # Clinic admins get the digest, with the audit section.
    daily_digests_queue(now=datetime(2026, 6, 2, 11, 0, tzinfo=UTC))
    assert Message.objects.filter(template_key=DAILY_DIGEST, recipient_user=clinic_admin).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_many_connections_keep_one_unbroken_chain() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def append_many(worker: int) -> None:
        try:
            for index in range(15):
                with transaction.atomic():
                    audit_record(
                        action=AuditAction.READ,
                        object_type="test.concurrent",
                        object_id=f"{worker}-{index}",
                    )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(append_many, range(4)))
    report = audit_chain_check()
    assert report.ok, report.problem
    assert AuditEvent.objects.filter(object_type="test.concurrent").count() == 60
