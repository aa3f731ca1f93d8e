"""Live push after a commit (issue 11 §2; PRODUCT.md §5 "Live"), proven at the entry points: every change reaches
open pages through the one dispatcher (`app.services.effects`) as typed `app.messages` on the System's pub/sub.

- Buying tickets through `POST /api/v1/drawings/{id}/tickets` publishes exactly one `points` message with the new
  balance (the API used to publish nothing, so an open dashboard went stale); a refused or replayed purchase
  publishes nothing.
- A signed Terra webhook processed by the task path publishes one `points` message with the member's boards and
  moves the Redis boards — the effects the webhook task had before the refactor.
- After the commit the dispatcher never raises: a failing pub/sub is logged, the change stays committed, and the
  other effects still run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import redis
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from app import messages
from app.adapters.leaderboard_store import board_keys
from app.adapters.pubsub import InProcessPubSub
from app.system import System
from domain.competition.leaderboards import boards_for_user, get_board
from domain.models import OutboxMessage, Ticket, User, WebhookDelivery
from domain.shared.enums import Period
from domain.shared.events import BalanceChanged, MailQueued
from tests.support.api import bearer
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing
from tests.support.jobs import ensure_tasks, run_queued
from tests.support.live import LiveMessages
from tests.support.members import member
from tests.support.terra import daily_body, post_webhook

DAY = date(2016, 4, 12)


class BrokenPubSub:
    """A pub/sub whose publish always fails (a broker outage that the adapter did not swallow)."""

    def __init__(self) -> None:
        self.attempts = 0

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.attempts += 1
        raise ConnectionError("pub/sub is down")

    async def listen(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        raise ConnectionError("pub/sub is down")
        yield {}  # pragma: no cover  (makes this an async generator)


def _funded_member_and_drawing(system: System) -> tuple[uuid.UUID, uuid.UUID]:
    """(member with 1,000 earned points, open drawing costing 10 points a ticket), committed."""
    with write_session(system) as session:
        admin_id = admin(session)
        ada = eligible_member(session, points=1_000, display_name="Ada Lovelace")
        drawing = open_drawing(session, admin_id, name="Daily Step-Up Draw")
        return ada, drawing.id


def _balance(system: System, user_id: uuid.UUID) -> tuple[int, int]:
    with read_session(system) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.point_balance, user.points_earned


async def test_api_ticket_purchase_pushes_exactly_one_points_message(client: TestClient, db_system: System) -> None:
    ada, drawing_id = _funded_member_and_drawing(db_system)
    url, headers = f"/api/v1/drawings/{drawing_id}/tickets", bearer(ada)
    async with LiveMessages(db_system.pubsub) as live:
        assert await live.settled() == []
        bought = client.post(url, json={"quantity": 3, "idempotency_key": "buy-1"}, headers=headers)
        assert bought.status_code == 201, bought.text
        assert bought.json()["balance_after"] == 970
        assert await live.settled() == [messages.PointsMessage(
            user_id=ada, point_balance=970, points_earned=1_000, boards=(), platform_day=None)]

        replayed = client.post(url, json={"quantity": 3, "idempotency_key": "buy-1"}, headers=headers)
        refused = client.post(url, json={"quantity": 500, "idempotency_key": "too-many"}, headers=headers)
        assert (replayed.status_code, refused.status_code) == (200, 400)
        assert len(await live.settled()) == 1  # a replay changes nothing, a refusal rolls back: nothing more

        again = client.post(url, json={"quantity": 2, "idempotency_key": "buy-2"}, headers=headers)
        assert again.status_code == 201
        received = await live.points()
    assert [(m.user_id, m.point_balance, m.points_earned) for m in received] == [(ada, 970, 1_000), (ada, 950, 1_000)]
    assert _balance(db_system, ada) == (950, 1_000)
    # the wire format is the versioned JSON schema the pages decode
    assert messages.encode(received[-1]) == {"v": 1, "kind": "points", "user_id": str(ada), "point_balance": 950,
                                             "points_earned": 1_000, "boards": [], "platform_day": None}


@pytest.fixture
async def redis_web(web_app: FastAPI, system_factory: Callable[..., System],
                    redis_url: str) -> AsyncIterator[tuple[System, httpx.AsyncClient]]:
    """A System with `REDIS_URL` (Redis leaderboard store and queue) whose live messages go to an in-process
    pub/sub the test can watch, and an async client of the API + webhook app on it."""
    built = ensure_tasks(system_factory(redis_url=redis_url))
    built.pubsub = InProcessPubSub()
    web_app.state.system = built
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web_app), base_url="http://test") as http:
        yield built, http


def _delivery_status(system: System, trace_id: str) -> str:
    with read_session(system) as session:
        return session.exec(select(WebhookDelivery.status).where(WebhookDelivery.trace_id == trace_id)).one()


async def test_signed_webhook_processed_by_the_task_pushes_points_with_boards(
    redis_web: tuple[System, httpx.AsyncClient], redis_url: str,
) -> None:
    system, http = redis_web
    runner = member()
    assert runner.terra_user_id is not None
    body = daily_body(runner.terra_user_id, DAY, steps=13162, vigorous_min=25, moderate_min=13, light_min=328)
    async with LiveMessages(system.pubsub) as live:
        accepted = await post_webhook(http, body, trace_id="live-1")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert await live.settled() == []  # stored and queued: nothing has changed for the member yet
        assert [task.name for task in system.jobs.huey.pending()] == ["process_webhook_delivery"]
        # what a consumer worker does with the queued task (it stores no Huey result: the delivery row has the outcome)
        assert run_queued(system) == [None] and _delivery_status(system, "live-1") == "processed"
        received = await live.settled()
    with read_session(system) as session:
        boards = tuple(boards_for_user(session, runner.user_id))
    assert boards  # a member with a tier is on its board
    # steps 131 + goal 100 + vigorous 50 + moderate 13 + light 32 + streak 5 = 331 (PRODUCT.md §4)
    assert received == [messages.PointsMessage(user_id=runner.user_id, point_balance=331, points_earned=331,
                                               boards=boards, platform_day=DAY)]
    assert _balance(system, runner.user_id) == (331, 331)

    # the Redis boards were moved by the same effect, before anyone read them
    rds = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        zkey = board_keys(boards[0], Period.daily, DAY)[0]
        assert rds.zcard(zkey) == 1
    finally:
        rds.close()
    with read_session(system) as session:
        standing = get_board(session, board=boards[0], period=Period.daily, day=DAY, viewer_id=runner.user_id,
                             store=system.boards).me
    assert standing is not None and (standing.rank, standing.points) == (1, 331)

    # the same delivery again (a new trace id): processed, nothing credited, nothing pushed
    async with LiveMessages(system.pubsub) as live:
        await post_webhook(http, body, trace_id="live-2")
        assert run_queued(system) == [None] and _delivery_status(system, "live-2") == "processed"
        assert await live.settled() == []


async def test_failing_publish_is_logged_and_the_purchase_stays_committed(
    client: TestClient, db_system: System, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ada, drawing_id = _funded_member_and_drawing(db_system)
    broken = BrokenPubSub()
    monkeypatch.setattr(db_system, "pubsub", broken)
    with structlog.testing.capture_logs() as logs:
        bought = client.post(f"/api/v1/drawings/{drawing_id}/tickets",
                             json={"quantity": 3, "idempotency_key": "buy-1"}, headers=bearer(ada))
    assert bought.status_code == 201, bought.text  # the caller is told the truth: the purchase happened
    assert broken.attempts == 1
    failures = [entry for entry in logs if entry["event"] == "effects.failed"]
    assert [(entry["effect"], entry["log_level"]) for entry in failures] == [("members", "error")]
    assert _balance(db_system, ada) == (970, 1_000)
    with read_session(db_system) as session:
        assert len(session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id)).all()) == 3


def test_dispatcher_runs_every_effect_even_when_one_fails(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    """`after_commit` never raises: the live push fails, the mail send job is still enqueued; a failing queue is
    logged too (the outbox sweeper sends the mail later)."""
    ensure_tasks(system)
    runner = member()
    with write_session(system) as session:
        mail = OutboxMessage(to_address="runner@example.test", template="welcome", subject="Hi",
                             text_body="Hi", html_body="<p>Hi</p>")
        session.add(mail)
        session.flush()
        mail_id = mail.id
    monkeypatch.setattr(system, "pubsub", BrokenPubSub())
    events = [BalanceChanged(runner.user_id, 5, 5), MailQueued(mail_id)]
    with structlog.testing.capture_logs() as logs:
        system.effects.after_commit(events)
    assert [(task.name, task.args) for task in system.jobs.huey.pending()] == [("send_outbox_message",
                                                                                (str(mail_id),))]
    assert [entry["effect"] for entry in logs if entry["event"] == "effects.failed"] == ["members"]

    def refuse(*_args: object) -> None:
        raise ConnectionError("queue is down")

    monkeypatch.setattr(system.jobs, "enqueue", refuse)
    with structlog.testing.capture_logs() as logs:
        system.effects.after_commit(events)  # nothing raised
    assert {entry["event"] for entry in logs} >= {"effects.failed", "mail.enqueue_failed"}
