"""The admin system page (issue 7 §8, PRODUCT.md §7): database and Redis checks, the Huey queue, the last run of every
periodic task (recorded in `task_runs` from Huey's signals), failures, the Terra circuit breaker, the mail queue and
the webhook backlog; the audited leaderboard-cache rebuild; `GET /api/v1/admin/system` and
`POST /api/v1/admin/system/rebuild-leaderboards` (admin only); and the `/admin/system` page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huey import signals
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.services import system_status, task_runs
from app.system import System
from domain.admin import system_status as domain_status
from domain.models import AuditLog, OutboxMessage, TaskRun, User, WebhookDelivery
from tasks import register_tasks
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in
from tests.support.system import current

PROBLEM = "application/problem+json"


def runs() -> dict[str, TaskRun]:
    with read_session() as session:
        return {row.task_name: row for row in domain_status.list_task_runs(session)}


def task(system: System, name: str) -> Any:
    """A fresh instance of the registered task `name`, as Huey's consumer would execute it."""
    return system.jobs.task(name).task_class()


def test_a_periodic_run_is_recorded_from_hueys_signals(system: System) -> None:
    register_tasks(system)
    system.jobs.huey.execute(task(system, "sweep_outbox"))  # the real task, through Huey's executor and signals
    recorded = runs()["sweep_outbox"]
    assert (recorded.runs, recorded.failures, recorded.last_status) == (1, 0, "ok")
    assert recorded.last_started_at is not None and recorded.last_finished_at is not None
    assert recorded.last_finished_at >= recorded.last_started_at
    system.jobs.huey.execute(task(system, "sweep_outbox"))
    assert runs()["sweep_outbox"].runs == 2


def test_ordinary_tasks_are_recorded_only_when_they_fail(system: System) -> None:
    register_tasks(system)
    huey = system.jobs.huey
    huey.execute(task(system, "ping"))
    assert "ping" not in runs()  # a success of a non-periodic task is not bookkept (webhooks run thousands)
    huey._emit(signals.SIGNAL_ERROR, task(system, "ping"), RuntimeError("kaput"))  # what the executor emits
    failed = runs()["ping"]
    assert (failed.runs, failed.failures, failed.last_status, failed.last_error) == (1, 1, "error",
                                                                                     "RuntimeError: kaput")
    huey._emit(signals.SIGNAL_TIMEOUT, task(system, "sweep_outbox"))
    assert runs()["sweep_outbox"].last_error == "task timeout"

    @huey.task(name="test_kaput")
    def kaput() -> None:
        raise ValueError("really failed")

    huey.execute(kaput.task_class())  # a real failure, through the executor: recorded from the error signal
    assert runs()["test_kaput"].last_error == "ValueError: really failed"


def test_bookkeeping_never_breaks_a_task(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(domain_status, "record_task_start", broken)
    task_runs.record_start(system, "sweep_outbox")  # logged, not raised
    assert runs() == {}


def test_collect_reports_every_periodic_task_and_its_state(system: System) -> None:
    register_tasks(system)
    now = datetime(2026, 3, 10, 12, 7, tzinfo=UTC)
    with write_session() as session:
        domain_status.record_task_start(session, "sweep_outbox", now - timedelta(minutes=2))
        domain_status.record_task_end(session, "sweep_outbox", now - timedelta(minutes=2))
        domain_status.record_task_start(session, "archive_leaderboards", now - timedelta(hours=3))  # due 11:05
        domain_status.record_task_end(session, "archive_leaderboards", now - timedelta(hours=3))
        domain_status.record_task_start(session, "audit_ledger", now - timedelta(hours=4))
        domain_status.record_task_end(session, "audit_ledger", now - timedelta(hours=4), error="ValueError: off")
        domain_status.record_task_end(session, "send_outbox_message", now, error="SMTPException: no")
    status = system_status.collect(system, now=now)
    assert status.database.state == "ok" and status.redis.state == "off"
    assert status.queue.backend == "sqlite" and status.queue.pending is not None
    tasks = {task.name: task for task in status.tasks}
    periodic = {name for name, task in tasks.items() if task.periodic}
    assert {"sweep_outbox", "sweep_deliveries", "archive_leaderboards", "rebuild_leaderboard_cache",
            "audit_ledger"} <= periodic
    assert tasks["sweep_outbox"].state == "ok" and tasks["sweep_outbox"].runs == 1
    assert tasks["sweep_outbox"].previous_due == datetime(2026, 3, 10, 12, 5, tzinfo=UTC)
    assert tasks["sweep_outbox"].next_due == datetime(2026, 3, 10, 12, 10, tzinfo=UTC)
    assert tasks["archive_leaderboards"].state == "overdue"  # hourly at :05; the 11:05 run never started
    assert tasks["audit_ledger"].state == "error" and tasks["audit_ledger"].failures == 1
    assert tasks["sweep_deliveries"].state == "never"
    assert not tasks["send_outbox_message"].periodic and tasks["send_outbox_message"].state == "error"
    assert any("archive_leaderboards is overdue" in p for p in status.problems)
    assert any("audit_ledger failed: ValueError: off" in p for p in status.problems)
    assert not status.healthy


def test_mail_queue_webhook_backlog_and_circuit(system: System) -> None:
    register_tasks(system)
    old = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with write_session() as session:
        for i, state in enumerate(["queued", "queued", "failed", "sent"]):
            session.add(OutboxMessage(to_address=f"m{i}@example.com", subject="s", text_body="t", html_body="h",
                                      template="verify_email", status=state, created_at=old + timedelta(hours=i)))
        for state in ["received", "failed", "failed", "processed"]:
            session.add(WebhookDelivery(event_type="daily", body="{}", status=state, received_at=old))
    breaker = system.terra_circuit
    for _ in range(breaker.threshold):
        breaker.record_failure()
    status = system_status.collect(system)
    assert status.mail is not None and (status.mail.queued, status.mail.failed, status.mail.sent) == (2, 1, 1)
    assert status.mail.oldest_queued_at == old
    assert status.webhooks is not None and (status.webhooks.received, status.webhooks.failed) == (1, 2)
    assert status.webhooks.oldest_unprocessed_at == old
    assert status.terra.state == "open" and status.terra.failures == breaker.threshold
    assert status.terra.opened_until is not None and status.terra.opened_until > datetime.now(UTC)
    assert "Terra circuit is open: calls to Terra fail fast" in status.problems
    assert "1 email(s) failed to send" in status.problems
    assert "2 webhook deliveries failed processing" in status.problems


def test_a_redis_that_does_not_answer_is_a_failed_check(system_factory: Callable[..., System]) -> None:
    check = system_status.check_redis(system_factory(redis_url="redis://127.0.0.1:1/0"))
    assert check.state == "failed" and "ConnectionError" in check.detail and check.ms is not None


def test_rebuild_without_redis_is_a_recorded_audited_no_op(system: System) -> None:
    with write_session() as session:
        admin = User(email="ops@example.com", password_hash="x", role="admin", status="active")
        session.add(admin)
        session.flush()
        admin_id = admin.id
    assert system_status.rebuild_leaderboards(system, admin_id, "203.0.113.7") == 0
    with read_session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "system.rebuild_leaderboards")).one()
    assert (entry.actor_id, entry.ip_address, entry.after_state) == (admin_id, "203.0.113.7",
                                                                     {"entries": 0, "cache": "off"})
    assert runs()["rebuild_leaderboard_cache"].runs == 1


def test_reset_closes_the_circuit_and_is_audited(system: System) -> None:
    admin_id = account("admin")
    breaker = system.terra_circuit
    for _ in range(breaker.threshold):
        breaker.record_failure()
    assert breaker.status().state == "open"
    after = system_status.reset_terra_circuit(system, admin_id, "198.51.100.4")
    assert (after.state, after.failures) == ("closed", 0) and system.terra_circuit.status().state == "closed"
    with read_session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "system.reset_terra_circuit")).one()
    assert entry.actor_id == admin_id and entry.ip_address == "198.51.100.4"
    assert entry.before_state is not None and entry.before_state["state"] == "open"
    assert entry.before_state["failures"] == breaker.threshold


# --- API ------------------------------------------------------------------------------------------------------

def bearer(user_id: uuid.UUID, role: str) -> dict[str, str]:
    token, _ = current().tokens.issue(user_id, role)
    return {"Authorization": f"Bearer {token}"}


def account(role: str) -> uuid.UUID:
    with write_session() as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x", role=role, status="active")
        session.add(user)
        session.flush()
        return user.id


async def test_system_api(user: SimUser, system: System) -> None:
    admin = account("admin")
    response = await user.http_client.get("/api/v1/admin/system", headers=bearer(admin, "admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["database"]["state"] == "ok" and body["redis"]["state"] == "off"
    assert body["terra_circuit"]["state"] == "closed" and body["leaderboard_cache"] == "off"
    assert body["mail"] == {"queued": 0, "sent": 0, "failed": 0, "oldest_queued_at": None}
    assert {"sweep_outbox", "sweep_deliveries"} <= {task["name"] for task in body["tasks"] if task["periodic"]}
    rebuilt = await user.http_client.post("/api/v1/admin/system/rebuild-leaderboards",
                                          headers=bearer(admin, "admin"))
    assert rebuilt.status_code == 200 and rebuilt.json() == {"entries": 0, "cache": "off"}
    with read_session() as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "system.rebuild_leaderboards",
                                                   AuditLog.actor_id == admin)).one()
    system.terra_circuit.record_failure()
    reset = await user.http_client.post("/api/v1/admin/system/reset-terra-circuit", headers=bearer(admin, "admin"))
    assert reset.status_code == 200 and (reset.json()["state"], reset.json()["failures"]) == ("closed", 0)


@pytest.mark.parametrize("role", ["user", "premium"])
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/admin/system"),
                                              ("POST", "/api/v1/admin/system/rebuild-leaderboards"),
                                              ("POST", "/api/v1/admin/system/reset-terra-circuit")])
async def test_system_api_refuses_members(user: SimUser, role: str, method: str, path: str) -> None:
    member_id = account(role)
    refused = await user.http_client.request(method, path, headers=bearer(member_id, "admin"))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(PROBLEM)
    assert (await user.http_client.request(method, path)).status_code == 401
    with read_session() as session:
        assert session.exec(select(AuditLog)).all() == []


# --- page -----------------------------------------------------------------------------------------------------

async def test_system_page_shows_health_and_rebuilds(user: SimUser) -> None:
    admin = member(role="admin", display_name="Ops Admin", connect=False)
    with write_session() as session:
        domain_status.record_task_end(session, "audit_ledger", datetime.now(UTC), error="ValueError: ledger drift")
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/system")
    await user.should_see(marker="problems", retries=300)
    await user.should_see("Task audit_ledger failed: ValueError: ledger drift")
    await user.should_see("Last error: ValueError: ledger drift")
    await user.should_see(marker="task-sweep_outbox")
    await user.should_see("sqlite answers")
    assert next(iter(user.find(marker="check-redis-state").elements)).text == "Not configured"  # type: ignore
    assert next(iter(user.find(marker="terra-state").elements)).text == "Closed"  # type: ignore[attr-defined]
    user.find(marker="rebuild").click()
    await user.should_see("Rebuild the leaderboard cache?")
    user.find(marker="confirm").click()
    await user.should_see("Nothing to rebuild: Redis is not configured", retries=300)
    with read_session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "system.rebuild_leaderboards")).one()
    assert entry.actor_id == admin.user_id


async def test_system_page_all_well_and_open_circuit(user: SimUser, system: System) -> None:
    admin = member(role="admin", display_name="Ops Admin", connect=False)
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/system")
    await user.should_see("All systems normal", retries=300)
    breaker = system.terra_circuit
    for _ in range(breaker.threshold):
        breaker.record_failure()
    user.find(marker="refresh").click()
    await user.should_see("Terra circuit is open: calls to Terra fail fast", retries=300)
    assert next(iter(user.find(marker="terra-state").elements)).text == "Open"  # type: ignore[attr-defined]
    user.find(marker="reset-circuit").click()
    await user.should_see("Reset the Terra circuit?")
    user.find(marker="confirm").click()
    await user.should_see("Terra circuit closed", retries=300)
    await user.should_see("All systems normal", retries=300)
    assert system.terra_circuit.status().state == "closed"
    with read_session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "system.reset_terra_circuit")).one()
    assert entry.actor_id == admin.user_id


async def test_members_are_refused_on_the_system_page(user: SimUser) -> None:
    plain = member(display_name="Plain Member", connect=False)
    await sign_in(user, email_of(plain.user_id))
    response = await user.http_client.get("/admin/system")
    assert response.status_code == 403
